import TensorFormats

/// LLaVA-1.6 (`LlavaNextForConditionalGeneration`, model_type `llava_next`) with a Mistral decoder:
/// CLIP tower, two-layer projector, anyres packing with `image_newline`, then Mistral (GQA, plain RoPE).
///
/// All three on-disk naming generations are accepted (legacy `language_model.model.*`,
/// transformers ≥ 4.52 `model.language_model.*`, and 5.x without `vision_model.`). Canonical names:
/// `decoder.*` (embed_tokens, layers.N.{input_layernorm, self_attn.{q,k,v,o}_proj, post_attention_layernorm,
/// mlp.{gate,up,down}_proj}, norm), `lm_head.weight`, `vision.*`, `projector.linear_{1,2}.*`, `image.newline`.
public enum LlavaNextArchitecture: ArchitectureAdapter {
    public static let kind = ArchitectureKind.llavaNext
    public static let configNames: Set<String> = ["LlavaNextForConditionalGeneration", "llava_next"]

    public static func parseConfig(_ config: JSONValue, file: String, preprocessor: JSONValue?) throws -> ModelConfig {
        let r = ConfigReader(json: config, file: file)
        guard let text = r.object("text_config") else { throw FormatError(file, "missing text_config") }
        let textType = text.string("model_type", default: "mistral")
        guard textType == "mistral" || textType == "llama" else { throw FormatError(file, "text_config model_type '\(textType)' is not supported (mistral, llama)") }
        let hidden = try text.int("hidden_size", default: 4096)
        let heads = try text.int("num_attention_heads", default: 32)
        guard heads > 0, hidden % heads == 0 else { throw FormatError(file, "text hidden_size \(hidden) is not a multiple of num_attention_heads \(heads)") }
        let act = text.string("hidden_act", default: "silu")
        guard act == "silu" else { throw FormatError(file, "text hidden_act '\(act)' is not supported (silu)") }
        if text.object("rope_scaling") != nil { throw FormatError(file, "text_config rope_scaling is not supported for llava_next") }
        let decoder = DecoderConfig(
            hiddenSize: hidden, intermediateSize: try text.int("intermediate_size", default: 14336),
            layerCount: try text.int("num_hidden_layers", default: 32), headCount: heads,
            kvHeadCount: try text.int("num_key_value_heads", default: 8), headDim: try text.int("head_dim", default: hidden / heads),
            vocabSize: try text.int("vocab_size", default: try r.int("vocab_size", default: 32064)),
            rmsNormEps: Float(try text.double("rms_norm_eps", default: 1e-5)),
            ropeTheta: Float(try text.double("rope_theta", default: 1_000_000)), rope: .none,
            maxPositions: try text.int("max_position_embeddings", default: 32768))
        let strategy = r.string("vision_feature_select_strategy", default: "default")
        guard strategy == "default" else { throw FormatError(file, "vision_feature_select_strategy '\(strategy)' is not supported (default)") }
        let projAct = r.string("projector_hidden_act", default: "gelu")
        guard projAct == "gelu" else { throw FormatError(file, "projector_hidden_act '\(projAct)' is not supported (gelu)") }
        let featureLayer = try r.int("vision_feature_layer", default: -2)
        let vision = try r.object("vision_config").map { try VisionConfig.parse($0, featureLayer: featureLayer) }
            ?? { var v = VisionConfig.clipViTL14_336; v.featureLayer = featureLayer; return v }()
        var pins: [LlavaNextImageConfig.GridSize] = []
        for p in config["image_grid_pinpoints"]?.arrayValue ?? [] {
            guard let a = p.arrayValue, a.count == 2, let ph = a[0].intValue, let pw = a[1].intValue, ph > 0, pw > 0 else {
                throw FormatError(file, "image_grid_pinpoints entries must be [height, width] pairs of positive integers")
            }
            pins.append(.init(height: ph, width: pw))
        }
        guard !pins.isEmpty else { throw FormatError(file, "missing image_grid_pinpoints") }
        let pre = preprocessor.map { ConfigReader(json: $0, file: "preprocessor_config.json") }
        let image = LlavaNextImageConfig(
            imageTokenIndex: try r.int("image_token_index", default: 32000), pinpoints: pins,
            imageMean: try pre.map { try $0.floats("image_mean") } ?? [0.48145466, 0.4578275, 0.40821073],
            imageStd: try pre.map { try $0.floats("image_std") } ?? [0.26862954, 0.26130258, 0.27577711])
        return ModelConfig(kind: kind, decoder: decoder, vision: vision, image: .llavaNext(image))
    }

    /// Normalises the three naming generations (architectures.md §B.2), then maps to canonical names.
    public static func canonicalName(_ name: String) -> String? {
        if isIgnoredBuffer(name) { return nil }
        var n = Substring(name)
        for (old, new) in [("model.language_model.", "language_model."), ("language_model.model.", "language_model."),
                           ("language_model.lm_head.", "lm_head."), ("model.vision_tower.", "vision_tower."),
                           ("model.multi_modal_projector.", "multi_modal_projector."), ("model.image_newline", "image_newline")]
        where n.hasPrefix(old) {
            n = Substring(new + n.dropFirst(old.count))
        }
        if n.hasPrefix("language_model.") { return "decoder." + n.dropFirst("language_model.".count) }
        if n == "lm_head.weight" { return String(n) }
        if n.hasPrefix("vision_tower.") { return CLIPNames.canonical(relative: String(n.dropFirst("vision_tower.".count))) }
        if n.hasPrefix("multi_modal_projector.") { return "projector." + n.dropFirst("multi_modal_projector.".count) }
        if n == "image_newline" { return "image.newline" }
        return nil
    }

    public static func requiredTensors(_ c: ModelConfig) -> [(String, [Int])] {
        let d = c.decoder
        let h = d.hiddenSize, q = d.headCount * d.headDim, kv = d.kvHeadCount * d.headDim
        var t: [(String, [Int])] = [("decoder.embed_tokens.weight", [d.vocabSize, h])]
        for l in 0..<d.layerCount {
            let p = "decoder.layers.\(l)."
            t += [(p + "input_layernorm.weight", [h]), (p + "self_attn.q_proj.weight", [q, h]), (p + "self_attn.k_proj.weight", [kv, h]),
                  (p + "self_attn.v_proj.weight", [kv, h]), (p + "self_attn.o_proj.weight", [h, q]), (p + "post_attention_layernorm.weight", [h]),
                  (p + "mlp.gate_proj.weight", [d.intermediateSize, h]), (p + "mlp.up_proj.weight", [d.intermediateSize, h]),
                  (p + "mlp.down_proj.weight", [h, d.intermediateSize])]
        }
        t.append(("decoder.norm.weight", [h]))
        t += CLIPNames.required(c.vision)
        t += [("projector.linear_1.weight", [h, c.vision.hiddenSize]), ("projector.linear_1.bias", [h]),
              ("projector.linear_2.weight", [h, h]), ("projector.linear_2.bias", [h]), ("image.newline", [h])]
        return t
    }

    public static func optionalTensors(_ c: ModelConfig) -> [(String, [Int])] {
        [("lm_head.weight", [c.decoder.vocabSize, c.decoder.hiddenSize])] + CLIPNames.optional(c.vision)
    }
}
