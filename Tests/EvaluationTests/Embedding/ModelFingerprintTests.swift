import Evaluation
import Foundation
import Testing

@Suite struct ModelFingerprintTests {
    func folder(_ files: [String: [UInt8]]) throws -> String {
        let dir = try EvalFixtures.temporaryDirectory()
        for (name, bytes) in files { try Data(bytes).write(to: URL(fileURLWithPath: dir + "/" + name)) }
        return dir
    }

    @Test func stableAndSensitiveToEveryInput() throws {
        let base: [String: [UInt8]] = ["config.json": Array(#"{"a": 1}"#.utf8), "tokenizer.json": [1, 2, 3], "model.safetensors": [9, 9, 9]]
        let a = try folder(base)
        let id = try ModelFingerprint.identity(modelDirectory: a, adapter: nil, settings: "s")
        #expect(id.count == 64)
        #expect(try ModelFingerprint.identity(modelDirectory: try folder(base), adapter: nil, settings: "s") == id, "same content elsewhere")
        var changed = base
        changed["tokenizer.json"] = [1, 2, 4]
        #expect(try ModelFingerprint.identity(modelDirectory: try folder(changed), adapter: nil, settings: "s") != id)
        #expect(try ModelFingerprint.identity(modelDirectory: a, adapter: nil, settings: "t") != id)
        let adapter = try folder(["adapter_config.json": [1]])
        #expect(try ModelFingerprint.identity(modelDirectory: a, adapter: adapter, settings: "s") != id)
        try Data([0]).write(to: URL(fileURLWithPath: a + "/.model.safetensors.vlmembed-tmp-1"))
        #expect(try ModelFingerprint.identity(modelDirectory: a, adapter: nil, settings: "s") == id, "hidden files are ignored")
    }

    /// Large weight files are fingerprinted by size and their first and last MiB.
    @Test func largeFilesAreSampledAtBothEnds() throws {
        let size = ModelFingerprint.wholeFileLimit + 3 * ModelFingerprint.sampleBytes
        var bytes = [UInt8](repeating: 7, count: size)
        let id = try ModelFingerprint.identity(modelDirectory: try folder(["w.safetensors": bytes]), adapter: nil, settings: "")
        bytes[10] = 8
        let head = try ModelFingerprint.identity(modelDirectory: try folder(["w.safetensors": bytes]), adapter: nil, settings: "")
        bytes[10] = 7
        bytes[size - 10] = 8
        let tail = try ModelFingerprint.identity(modelDirectory: try folder(["w.safetensors": bytes]), adapter: nil, settings: "")
        bytes[size - 10] = 7
        bytes.append(7)
        let longer = try ModelFingerprint.identity(modelDirectory: try folder(["w.safetensors": bytes]), adapter: nil, settings: "")
        #expect(Set([id, head, tail, longer]).count == 4)
    }
}
