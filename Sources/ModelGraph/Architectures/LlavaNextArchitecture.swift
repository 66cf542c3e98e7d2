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
        let decoder = try DecoderTensors.parseLlama(text, mistralDefaults: true)
        let strategy = r.string("vision_feature_select_strategy", default: "default")
        guard strategy == "default" else { throw FormatError(file, "vision_feature_select_strategy '\(strategy)' is not supported (default)") }
        let projAct = r.string("projector_hidden_act", default: "gelu")
        guard projAct == "gelu" else { throw FormatError(file, "projector_hidden_act '\(projAct)' is not supported (gelu)") }
        let featureLayer = try r.int("vision_feature_layer", default: -2)
        let vision = try r.object("vision_config").map { try VisionConfig.parse($0, featureLayer: featureLayer) }
            ?? { var v = VisionConfig.clipViTL14_336; v.featureLayer = featureLayer; return v }()
        var pins: [LlavaNextImageConfig.GridSize] = []
        let pinList = config["image_grid_pinpoints"]?.arrayValue ?? []
        guard pinList.count <= InputLimits.maxPinpoints else {
            throw FormatError(file, "image_grid_pinpoints has \(pinList.count) entries, above the limit of \(InputLimits.maxPinpoints)")
        }
        for p in pinList {
            guard let a = p.arrayValue, a.count == 2, let ph = a[0].intValue, let pw = a[1].intValue, ph > 0, pw > 0 else {
                throw FormatError(file, "image_grid_pinpoints entries must be [height, width] pairs of positive integers")
            }
            pins.append(.init(height: ph, width: pw))
        }
        guard !pins.isEmpty else { throw FormatError(file, "missing image_grid_pinpoints") }
        try ConfigLimits.pinpoints(pins, file: file)
        let pre = preprocessor.map { ConfigReader(json: $0, file: "preprocessor_config.json") }
        let image = LlavaNextImageConfig(
            imageTokenIndex: try r.int("image_token_index", default: 32000), pinpoints: pins,
            imageMean: try pre.map { try $0.floats("image_mean") } ?? [0.48145466, 0.4578275, 0.40821073],
            imageStd: try pre.map { try $0.floats("image_std") } ?? [0.26862954, 0.26130258, 0.27577711])
        try ConfigLimits.check(vision, file: file)
        try ConfigLimits.normalization(mean: image.imageMean, std: image.imageStd, file: "preprocessor_config.json")
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
        var t = DecoderTensors.separate(c.decoder)
        let h = c.decoder.hiddenSize
        guard let vision = c.vision else { return t }
        t += CLIPNames.required(vision)
        t += [("projector.linear_1.weight", [h, vision.hiddenSize]), ("projector.linear_1.bias", [h]),
              ("projector.linear_2.weight", [h, h]), ("projector.linear_2.bias", [h]), ("image.newline", [h])]
        return t
    }

    public static func optionalTensors(_ c: ModelConfig) -> [(String, [Int])] {
        DecoderTensors.head(c.decoder) + (c.vision.map { CLIPNames.optional($0) } ?? [])
    }
}
