import Foundation
import Testing
import TensorFormats

/// Every broken file in Fixtures/corrupt (made by Tools/make_corrupt_fixtures.py): `inspect` and
/// `export` exit 2 with one error line naming the file and the problem, never crash, and leave no
/// output behind. The valid controls beside them load.
@Suite struct CorruptFileTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let path: String
        let ok: Bool
        let phrase: String?
        var testDescription: String { path }
    }

    static let cases: [Case] = {
        let dir = CLIRunner.fixtures + "/corrupt"
        guard let m = try? JSONParser.parse(contentsOf: dir + "/manifest.json") else { return [] }
        return (m["cases"]?.arrayValue ?? []).compactMap { c in
            guard let p = c["path"]?.stringValue else { return nil }
            return Case(path: dir + "/" + p, ok: c["expect"]?.stringValue == "ok", phrase: c["error_contains"]?.stringValue)
        }
    }()

    @Test func thereAreEnoughBrokenFiles() {
        #expect(Self.cases.filter { !$0.ok }.count >= 25)
    }

    @Test(arguments: cases)
    func exportRefusesWithOneLine(c: Case) throws {
        let dir = try CLIRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/out.safetensors"
        let r = try CLIRunner.run(["export", c.path, "--format", "safetensors", "-o", out])
        if c.ok {
            #expect(r.status == 0, "\(r.stderr)")
            return
        }
        #expect(r.status == 2, "exit \(r.status): \(r.stderr)")
        #expect(r.errorLines.count == 1, "\(r.stderr)")
        #expect(r.errorLines.first?.contains(c.path) == true, "error does not name the file: \(r.stderr)")
        if let phrase = c.phrase {
            #expect(r.errorLines.first?.lowercased().contains(phrase.lowercased()) == true, "expected '\(phrase)' in: \(r.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty, "output or temporary left behind")
    }

    @Test(arguments: cases.filter { !$0.ok && !$0.path.contains("compressed_storage") && !$0.path.contains("missing_storage") })
    func inspectRefusesWithOneLine(c: Case) throws {
        let r = try CLIRunner.run(["inspect", c.path, "--json"])
        #expect(r.status == 2 && r.errorLines.count == 1 && r.errorLines.first?.contains(c.path) == true, "\(r.stderr)")
        #expect(r.stdout.isEmpty)
    }
}
