import Foundation
import Testing
import ModelGraph
import TensorFormats

/// Bad adapters give one-line errors naming the module, key or option.
@Suite struct AdapterMergeErrorTests {
    static let adapters = ModelGraphLoadingTests.root + "/../adapters/reference"

    static func copyAdapter(_ name: String) throws -> String {
        let dir = NSTemporaryDirectory() + "vlmembed-adapter-\(UUID().uuidString)"
        try FileManager.default.copyItem(atPath: adapters + "/" + name, toPath: dir)
        return dir
    }

    /// Rewrites the adapter's safetensors through `edit` (name → new name or nil to drop; extra tensors appended).
    static func rewrite(_ dir: String, rename: (String) -> String?, extra: [(TensorDescriptor, [UInt8])] = []) throws {
        let path = dir + "/adapter_model.safetensors"
        let src = try SafetensorsFile(path: path)
        var tensors: [(TensorDescriptor, [UInt8])] = []
        for d in src.tensors {
            guard let n = rename(d.name) else { continue }
            tensors.append((TensorDescriptor(name: n, shape: d.shape, encoding: d.encoding), Array(try src.tensorData(named: d.name).bytes)))
        }
        try SafetensorsWriter.write(to: path + ".new", tensors: tensors + extra)
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.moveItem(atPath: path + ".new", toPath: path)
    }

    static func load(_ model: String, adapter: String) throws {
        _ = try ModelGraph.loadEmbeddingGraph(directory: ModelGraphLoadingTests.root + "/" + model, adapter: adapter)
    }

    @Test func keyThatLandsNowhereIsAnError() throws {
        let dir = try Self.copyAdapter("phi3_v_adapter")
        let extra = TensorDescriptor(name: "base_model.model.model.layers.0.self_attn.nonexistent.lora_A.weight", shape: [8, 64], encoding: .dense(.f32))
        let extraB = TensorDescriptor(name: "base_model.model.model.layers.0.self_attn.nonexistent.lora_B.weight", shape: [64, 8], encoding: .dense(.f32))
        try Self.rewrite(dir, rename: { $0 }, extra: [(extra, [UInt8](repeating: 0, count: 8 * 64 * 4)), (extraB, [UInt8](repeating: 0, count: 8 * 64 * 4))])
        let e = try #require(throws: FormatError.self) { try Self.load("phi3_v", adapter: dir) }
        #expect(e.description.contains("model.layers.0.self_attn.nonexistent"), "\(e)")
    }

    @Test func adapterForAnotherBaseIsRefused() throws {
        let e = try #require(throws: FormatError.self) { try Self.load("phi3_v", adapter: Self.adapters + "/llava_next_adapter") }
        #expect(e.description.contains("matches no phi3_v weight"), "\(e)")
    }

    @Test func shapeMismatchNamesTheModule() throws {
        let dir = try Self.copyAdapter("phi3_v_adapter")
        // Claim rank 4 while the tensors have rank 8.
        let cfg = dir + "/adapter_config.json"
        try (try String(contentsOfFile: cfg, encoding: .utf8)).replacingOccurrences(of: "\"r\": 8", with: "\"r\": 4")
            .write(toFile: cfg, atomically: true, encoding: .utf8)
        let e = try #require(throws: FormatError.self) { try Self.load("phi3_v", adapter: dir) }
        #expect(e.description.contains("do not fit weight") && e.description.contains("rank 4"), "\(e)")
    }

    @Test(arguments: [("\"lora_bias\": false", "\"lora_bias\": true", "use_dora + lora_bias"),
                      ("\"peft_type\": \"LORA\"", "\"peft_type\": \"IA3\"", "IA3"),
                      ("\"layer_replication\": null", "\"layer_replication\": [[0, 2]]", "layer_replication"),
                      ("\"init_lora_weights\": \"gaussian\"", "\"init_lora_weights\": \"pissa\"", "pissa")])
    func unsupportedOptionsAreRefused(find: String, replace: String, expected: String) throws {
        let dir = try Self.copyAdapter("phi3_v_adapter")
        let cfg = dir + "/adapter_config.json"
        var text = try String(contentsOfFile: cfg, encoding: .utf8)
        text = text.replacingOccurrences(of: find + ",", with: replace + ",")
        try text.write(toFile: cfg, atomically: true, encoding: .utf8)
        let e = try #require(throws: FormatError.self) { try Self.load("phi3_v", adapter: dir) }
        #expect(e.description.contains(expected), "\(e)")
    }

    @Test func missingMagnitudeForDoRAIsAnError() throws {
        let dir = try Self.copyAdapter("phi3_v_adapter")
        var dropped = false
        try Self.rewrite(dir, rename: { n in
            if !dropped && n.hasSuffix("lora_magnitude_vector") { dropped = true; return nil }
            return n
        })
        let e = try #require(throws: FormatError.self) { try Self.load("phi3_v", adapter: dir) }
        #expect(e.description.contains("lora_magnitude_vector is missing"), "\(e)")
    }
}
