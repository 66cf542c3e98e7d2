import Foundation
import Testing
@testable import TensorFormats

/// Paths and helpers shared by the PyTorch checkpoint tests.
enum TorchFixtures {
    /// `<repo>/Fixtures/torch`, found from this source file.
    static let directory: String = {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while url.path != "/" {
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
                return url.appendingPathComponent("Fixtures/torch").path
            }
            url = url.deletingLastPathComponent()
        }
        return "Fixtures/torch"
    }()

    static func path(_ name: String) -> String { directory + "/" + name }

    /// The file the hostile payloads would create if they ever ran.
    static let marker = "/tmp/vlmembed_torch_fixture_pwned"

    static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path(name))))
    }

    /// Writes `bytes` to a fresh temporary file and returns its path.
    static func temporary(_ bytes: [UInt8]) throws -> String {
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let url = scratch.appendingPathComponent("\(UUID().uuidString).bin")
        try Data(bytes).write(to: url)
        return url.path
    }

    /// One scratch directory per test process.
    static let scratch = FileManager.default.temporaryDirectory
        .appendingPathComponent("vlmembed-torch-tests-\(getpid())")

    /// Expected tensors, as written by Tools/make_torch_fixtures.py.
    struct Expected: Decodable {
        struct Tensor: Decodable {
            var name: String
            var dtype: String
            var shape: [Int]
            var hex: String
        }
        var tensors: [Tensor]
    }

    static let expected: Expected = {
        let data = (try? Data(contentsOf: URL(fileURLWithPath: path("expected.json")))) ?? Data()
        return (try? JSONDecoder().decode(Expected.self, from: data)) ?? Expected(tensors: [])
    }()

    static func hex(_ bytes: UnsafeRawBufferPointer) -> String {
        let digits = Array("0123456789abcdef")
        var s = ""
        s.reserveCapacity(bytes.count * 2)
        for b in bytes {
            s.append(digits[Int(b >> 4)])
            s.append(digits[Int(b & 15)])
        }
        return s
    }

    /// Runs `body`, expecting a `FormatError`; returns it (or records a failure).
    @discardableResult
    static func expectFormatError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> FormatError? {
        do {
            try body()
            Issue.record("expected a FormatError, got success", sourceLocation: sourceLocation)
        } catch let e as FormatError {
            #expect(!e.description.contains("\n"), "error is not one line: \(e)", sourceLocation: sourceLocation)
            return e
        } catch {
            Issue.record("expected a FormatError, got \(error)", sourceLocation: sourceLocation)
        }
        return nil
    }
}
