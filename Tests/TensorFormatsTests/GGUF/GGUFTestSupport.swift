import Foundation
import Testing
@testable import TensorFormats

/// Shared helpers for the GGUF tests: fixture paths, temp files, raw f32 files, and a byte builder
/// for hand-made (often hostile) GGUF headers.
enum GGUFTestSupport {
    /// `Fixtures/gguf/` in the repository.
    static let fixtures: URL = URL(fileURLWithPath: TestPaths.fixtures + "/gguf")

    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

    /// A fresh temporary directory for one test.
    static func tempDir() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("vlmembed-gguf-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes `bytes` to a new temp file and returns its path.
    static func tempFile(_ bytes: [UInt8], name: String = "test.gguf") throws -> String {
        let path = try tempDir().appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func readBytes(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// A raw little-endian f32 file.
    static func readF32(_ path: String) throws -> [Float] {
        let bytes = try readBytes(path)
        return (0..<(bytes.count / 4)).map { i in
            Float(bitPattern: UInt32(bytes[4 * i]) | UInt32(bytes[4 * i + 1]) << 8
                | UInt32(bytes[4 * i + 2]) << 16 | UInt32(bytes[4 * i + 3]) << 24)
        }
    }

    /// Opens `bytes` as a GGUF file and checks it fails with a `FormatError` that names the file
    /// and whose problem contains `expected`.
    static func expectRejected(_ bytes: [UInt8], _ expected: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let path = try tempFile(bytes)
        do {
            let f = try GGUFFile(path: path)
            Issue.record("expected '\(expected)', but the file opened with \(f.tensors.count) tensors", sourceLocation: sourceLocation)
        } catch let e as FormatError {
            #expect(e.file == path, sourceLocation: sourceLocation)
            #expect(e.description.hasPrefix(path + ": "), sourceLocation: sourceLocation)
            #expect(!e.description.contains("\n"), sourceLocation: sourceLocation)
            #expect(expected.isEmpty || e.problem.contains(expected), "problem was: \(e.problem)", sourceLocation: sourceLocation)
        }
    }
}

/// Builds GGUF bytes by hand (little-endian).
struct GGUFBytes {
    var bytes: [UInt8] = []

    /// Magic, version and the two counts.
    init(version: UInt32 = 3, tensors: UInt64, kvs: UInt64, magic: [UInt8] = [0x47, 0x47, 0x55, 0x46]) {
        bytes = magic
        u32(version)
        u64(tensors)
        u64(kvs)
    }

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func str(_ s: String) { u64(UInt64(s.utf8.count)); bytes.append(contentsOf: s.utf8) }

    /// A KV with a UINT32 value.
    mutating func kvU32(_ key: String, _ v: UInt32) { str(key); u32(4); u32(v) }
    /// A KV with a STRING value.
    mutating func kvString(_ key: String, _ v: String) { str(key); u32(8); str(v) }

    mutating func tensorInfo(_ name: String, ne: [UInt64], type: UInt32, offset: UInt64) {
        str(name)
        u32(UInt32(ne.count))
        for d in ne { u64(d) }
        u32(type)
        u64(offset)
    }

    /// Zero padding up to a multiple of `alignment`.
    mutating func pad(_ alignment: Int = 32) {
        bytes.append(contentsOf: repeatElement(0, count: (alignment - bytes.count % alignment) % alignment))
    }

    mutating func zeros(_ n: Int) { bytes.append(contentsOf: repeatElement(0, count: n)) }
}
