import Foundation
import Testing
import ModelGraph
import TensorFormats

/// Merged weights equal PEFT 0.15.2's `merge_and_unload` (fixtures from Tools/make_adapter_fixtures.py)
/// within 1e-6 relative, for plain LoRA, rsLoRA, rank/alpha patterns with layers_to_transform,
/// modules_to_save, a regex target list with DoRA, and fan_in_fan_out (Conv1D storage).
@Suite struct PEFTMergeParityTests {
    static let adapters = ModelGraphLoadingTests.root + "/../adapters"

    static func relativeError(_ ours: [Float], _ ref: [Float]) -> Float {
        let scale = max(ref.map { abs($0) }.max() ?? 0, 1e-30)
        return zip(ours, ref).map { abs($0 - $1) }.max().map { $0 / scale } ?? .infinity
    }

    @Test(arguments: [("phi3_lora", "phi3_v"), ("phi3_rslora", "phi3_v"), ("phi3_patterns", "phi3_v"),
                      ("llava_modules_to_save", "llava_next"), ("llava_regex_dora", "llava_next"),
                      ("reference/phi3_v_adapter", "phi3_v"), ("reference/llava_next_adapter", "llava_next")])
    func mergedWeightsEqualPEFT(fixture: String, model: String) throws {
        let (graph, records) = try ModelGraph.loadEmbeddingGraph(directory: ModelGraphLoadingTests.root + "/" + model, adapter: Self.adapters + "/" + fixture)
        let arch = Architectures.adapter(for: graph.config.kind)
        let mergedPath = fixture.hasPrefix("reference/") ? Self.adapters + "/reference/\(model)_merged.safetensors" : Self.adapters + "/\(fixture)/merged.safetensors"
        let merged = try SafetensorsFile(path: mergedPath)
        #expect(!records.isEmpty || fixture.contains("modules_to_save"))
        var worst: Float = 0
        for d in merged.tensors {
            let mapped = arch.canonicalName(d.name)
            let canonical = try #require(mapped, "\(d.name)")
            let ours = try graph.floats(canonical)
            let err = Self.relativeError(ours, try merged.floats(named: d.name))
            worst = max(worst, err)
            #expect(err <= 1e-6, "\(fixture) \(d.name): relative error \(err)")
        }
        print("peft \(fixture): \(merged.tensors.count) tensors, worst relative error \(worst)")
    }

    @Test func fanInFanOutOnConv1DStorage() throws {
        let dir = Self.adapters + "/conv1d_fan_in_fan_out"
        let adapter = try LoRAAdapter(directory: dir)
        #expect(adapter.config.fanInFanOut)
        let base = try SafetensorsFile(path: dir + "/base.safetensors"), merged = try SafetensorsFile(path: dir + "/merged.safetensors")
        for m in adapter.modules {
            let w = try #require(base.descriptor(named: m.path + ".weight"))
            let (rank, _) = adapter.config.rankAndAlpha(module: m.path)
            let ours = LoRAMath.mergedWeight(base: try base.floats(named: w.name), rows: w.shape[0], columns: w.shape[1],
                                             a: try adapter.weights.floats(named: m.loraA ?? ""), b: try adapter.weights.floats(named: m.loraB ?? ""),
                                             rank: rank, scale: adapter.config.scale(module: m.path), fanInFanOut: true, magnitude: nil)
            let err = Self.relativeError(ours, try merged.floats(named: w.name))
            #expect(err <= 1e-6, "\(m.path): relative error \(err)")
        }
    }

    /// The same adapter as adapter_model.bin (pickle) and .safetensors merges to identical bits.
    @Test func binAndSafetensorsMergeToIdenticalBits() throws {
        let dir = NSTemporaryDirectory() + "vlmembed-bin-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for f in ["adapter_config.json", "adapter_model.bin"] {
            try FileManager.default.copyItem(atPath: Self.adapters + "/phi3_lora/" + f, toPath: dir + "/" + f)
        }
        let (fromBin, _) = try ModelGraph.loadEmbeddingGraph(directory: ModelGraphLoadingTests.root + "/phi3_v", adapter: dir)
        let (fromST, records) = try ModelGraph.loadEmbeddingGraph(directory: ModelGraphLoadingTests.root + "/phi3_v", adapter: Self.adapters + "/phi3_lora")
        #expect(records.count == 12)
        for r in records {
            let a = try fromBin.floats(r.canonical).map(\.bitPattern), b = try fromST.floats(r.canonical).map(\.bitPattern)
            #expect(a == b, "\(r.canonical)")
        }
    }
}
