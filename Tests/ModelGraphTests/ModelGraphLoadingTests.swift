import Foundation
import Testing
import ModelGraph
import TensorFormats

@Suite struct ModelGraphLoadingTests {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path + "/Fixtures/models"
    }()

    @Test func phi3VConfigAndBindings() throws {
        let g = try ModelGraph.load(directory: Self.root + "/phi3_v")
        #expect(g.config.kind == .phi3V)
        #expect(g.config.decoder.hiddenSize == 64 && g.config.decoder.layerCount == 3 && g.config.decoder.headDim == 16)
        #expect(g.config.vision?.hiddenSize == 64 && g.config.vision?.layerCount == 2 && g.config.vision?.layersToRun == 1)
        guard case .longRoPE(let short, let long, 256) = g.config.decoder.rope else { Issue.record("no LongRoPE"); return }
        #expect(short.count == 8 && long.count == 8)
        // √(1 + ln(8192/256)/ln(256))
        #expect(abs(g.config.decoder.ropeAttentionScale - Float((1 + log(32.0) / log(256.0)).squareRoot())) < 1e-6)
        #expect(g.config.decoder.ropeFactors(forLength: 256) == short)
        #expect(g.config.decoder.ropeFactors(forLength: 257) == long)
        guard case .phi3V(let image) = g.config.image else { Issue.record("not phi3V"); return }
        #expect(image.numCrops == 4 && image.imageDimOut == 64)
        #expect(g.tensors["decoder.layers.2.self_attn.qkv_proj.weight"]?.shape == [192, 64])
        #expect(g.tensors["image.sub_GN"]?.shape == [1, 1, 1, 256])
        #expect(g.tensors["lm_head.weight"] != nil)
    }

    @Test func llavaNextConfigAndBindings() throws {
        let g = try ModelGraph.load(directory: Self.root + "/llava_next")
        #expect(g.config.kind == .llavaNext)
        #expect(g.config.decoder.kvHeadCount == 2 && g.config.decoder.headDim == 12 && g.config.decoder.rope == .none)
        guard case .llavaNext(let image) = g.config.image else { Issue.record("not llava"); return }
        #expect(image.imageTokenIndex == 32000 && image.pinpoints.count == 5 && image.pinpoints[0].height == 336 && image.pinpoints[0].width == 672)
        #expect(g.tensors["decoder.layers.1.self_attn.k_proj.weight"]?.shape == [24, 48])
        #expect(g.tensors["image.newline"]?.shape == [48])
    }

    /// The three naming generations of LLaVA-NeXT checkpoints map to the same canonical names.
    @Test func llavaNamingGenerations() {
        let pairs = [
            ("language_model.model.layers.3.mlp.up_proj.weight", "decoder.layers.3.mlp.up_proj.weight"),
            ("model.language_model.layers.3.mlp.up_proj.weight", "decoder.layers.3.mlp.up_proj.weight"),
            ("language_model.lm_head.weight", "lm_head.weight"), ("lm_head.weight", "lm_head.weight"),
            ("vision_tower.vision_model.encoder.layers.0.mlp.fc1.bias", "vision.encoder.layers.0.mlp.fc1.bias"),
            ("model.vision_tower.vision_model.encoder.layers.0.mlp.fc1.bias", "vision.encoder.layers.0.mlp.fc1.bias"),
            ("model.vision_tower.encoder.layers.0.mlp.fc1.bias", "vision.encoder.layers.0.mlp.fc1.bias"),
            ("multi_modal_projector.linear_2.weight", "projector.linear_2.weight"),
            ("model.multi_modal_projector.linear_2.weight", "projector.linear_2.weight"),
            ("image_newline", "image.newline"), ("model.image_newline", "image.newline"),
        ]
        for (source, canonical) in pairs { #expect(LlavaNextArchitecture.canonicalName(source) == canonical, "\(source)") }
        #expect(LlavaNextArchitecture.canonicalName("vision_tower.vision_model.embeddings.position_ids") == nil)
        #expect(Phi3VArchitecture.canonicalName("model.vision_embed_tokens.wte.weight") == "decoder.embed_tokens.weight")
    }

    /// Copies a fixture model into a temp folder so a test can break it.
    static func copy(_ model: String) throws -> String {
        let dir = NSTemporaryDirectory() + "vlmembed-graph-\(UUID().uuidString)"
        try FileManager.default.copyItem(atPath: root + "/" + model, toPath: dir)
        return dir
    }

    @Test func unknownArchitectureListsTheSupportedOnes() throws {
        let dir = try Self.copy("phi3_v")
        let cfg = dir + "/config.json"
        var text = try String(contentsOfFile: cfg, encoding: .utf8)
        text = text.replacingOccurrences(of: "Phi3VForCausalLM", with: "GPT2LMHeadModel").replacingOccurrences(of: "\"phi3_v\"", with: "\"gpt2\"")
        try text.write(toFile: cfg, atomically: true, encoding: .utf8)
        let e = try #require(throws: FormatError.self) { try ModelGraph.load(directory: dir) }
        #expect(e.description.contains("GPT2LMHeadModel") && e.description.contains("phi3_v") && e.description.contains("llava_next"))
    }

    @Test func wrongShapeNamesTheTensor() throws {
        let dir = try Self.copy("llava_next")
        let cfg = dir + "/config.json"
        var text = try String(contentsOfFile: cfg, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"intermediate_size\": 128,\n  \"max_position_embeddings\": 32768", with: "\"intermediate_size\": 96,\n  \"max_position_embeddings\": 32768")
        try text.write(toFile: cfg, atomically: true, encoding: .utf8)
        let e = try #require(throws: FormatError.self) { try ModelGraph.load(directory: dir) }
        #expect(e.description.contains("mlp.gate_proj.weight") && e.description.contains("[128, 48]"), "\(e)")
    }

    @Test func missingTensorNamesIt() throws {
        let dir = try Self.copy("phi3_v")
        let index = dir + "/model.safetensors.index.json"
        let source = try CheckpointOpener.open(index)
        // Re-export without one tensor into a single file, and drop the index.
        let kept = source.tensors.filter { $0.name != "model.vision_embed_tokens.glb_GN" }
        try SafetensorsWriter.write(to: dir + "/model.safetensors", tensors: kept) { d, out in try out.write(try source.tensorData(named: d.name).bytes) }
        try FileManager.default.removeItem(atPath: index)
        let e = try #require(throws: FormatError.self) { try ModelGraph.load(directory: dir) }
        #expect(e.description.contains("image.glb_GN"), "\(e)")
    }
}
