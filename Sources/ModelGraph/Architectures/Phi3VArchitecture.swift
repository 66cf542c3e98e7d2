import TensorFormats

/// Phi-3.5-V (`Phi3VForCausalLM`, model_type `phi3_v`): CLIP tower + HD image embedding with
/// `sub_GN`/`glb_GN` separators and a two-layer projector, then a Phi-3 decoder with fused
/// `qkv_proj`/`gate_up_proj` and LongRoPE.
///
/// Canonical names: `decoder.*` (embed_tokens, layers.N.{input_layernorm, self_attn.{qkv_proj,o_proj},
/// post_attention_layernorm, mlp.{gate_up_proj,down_proj}}, norm), `lm_head.weight`, `vision.*` (CLIP,
/// HF names after `vision_model.`), `projector.linear_{1,2}.*`, `image.glb_GN`, `image.sub_GN`.
public enum Phi3VArchitecture: ArchitectureAdapter {
    public static let kind = ArchitectureKind.phi3V
    public static let configNames: Set<String> = ["Phi3VForCausalLM", "phi3_v"]

    public static func parseConfig(_ config: JSONValue, file: String, preprocessor: JSONValue?) throws -> ModelConfig {
        let r = ConfigReader(json: config, file: file)
        let decoder = try DecoderTensors.parsePhi3(r)
        if let embd = r.object("embd_layer") {
            let order = embd.string("hd_transform_order", default: "sub_glb")
            guard order == "sub_glb" else { throw FormatError(file, "hd_transform_order '\(order)' is not supported (sub_glb)") }
        }
        let featureLayer = try r.object("img_processor")?.int("layer_idx", default: -2) ?? -2
        let vision = try r.object("vision_config").map { try VisionConfig.parse($0, featureLayer: featureLayer) }
            ?? { var v = VisionConfig.clipViTL14_336; v.featureLayer = featureLayer; return v }()
        let imageDimOut = try r.object("img_processor")?.int("image_dim_out", default: vision.hiddenSize) ?? vision.hiddenSize
        guard imageDimOut == vision.hiddenSize else {
            throw FormatError(file, "img_processor.image_dim_out \(imageDimOut) does not match the CLIP width \(vision.hiddenSize)")
        }
        let pre = preprocessor.map { ConfigReader(json: $0, file: "preprocessor_config.json") }
        let image = Phi3VImageConfig(
            imageDimOut: imageDimOut, numCrops: try pre?.int("num_crops", default: 4) ?? 4,
            imageMean: try pre.map { try $0.floats("image_mean") } ?? [0.48145466, 0.4578275, 0.40821073],
            imageStd: try pre.map { try $0.floats("image_std") } ?? [0.26862954, 0.26130258, 0.27577711])
        try ConfigLimits.check(vision, file: file)
        try ConfigLimits.crops(image.numCrops, file: "preprocessor_config.json")
        try ConfigLimits.normalization(mean: image.imageMean, std: image.imageStd, file: "preprocessor_config.json")
        return ModelConfig(kind: kind, decoder: decoder, vision: vision, image: .phi3V(image))
    }

    public static func canonicalName(_ name: String) -> String? {
        if isIgnoredBuffer(name) { return nil }
        let vt = "model.vision_embed_tokens."
        if name == "model.embed_tokens.weight" || name == vt + "wte.weight" { return "decoder.embed_tokens.weight" }
        if name.hasPrefix("model.layers.") { return "decoder." + name.dropFirst("model.".count) }
        if name == "model.norm.weight" { return "decoder.norm.weight" }
        if name == "lm_head.weight" { return name }
        if name.hasPrefix(vt + "img_processor.") { return CLIPNames.canonical(relative: String(name.dropFirst((vt + "img_processor.").count))) }
        if name.hasPrefix(vt + "img_projection.0.") { return "projector.linear_1." + name.dropFirst((vt + "img_projection.0.").count) }
        if name.hasPrefix(vt + "img_projection.2.") { return "projector.linear_2." + name.dropFirst((vt + "img_projection.2.").count) }
        if name == vt + "glb_GN" { return "image.glb_GN" }
        if name == vt + "sub_GN" { return "image.sub_GN" }
        return nil
    }

    public static func requiredTensors(_ c: ModelConfig) -> [(String, [Int])] {
        var t = DecoderTensors.fused(c.decoder)
        let h = c.decoder.hiddenSize
        guard let vision = c.vision else { return t }
        t += CLIPNames.required(vision)
        let wide = 4 * vision.hiddenSize
        t += [("projector.linear_1.weight", [h, wide]), ("projector.linear_1.bias", [h]),
              ("projector.linear_2.weight", [h, h]), ("projector.linear_2.bias", [h]),
              ("image.glb_GN", [1, 1, wide]), ("image.sub_GN", [1, 1, 1, wide])]
        return t
    }

    public static func optionalTensors(_ c: ModelConfig) -> [(String, [Int])] {
        DecoderTensors.head(c.decoder) + (c.vision.map { CLIPNames.optional($0) } ?? [])
    }
}
