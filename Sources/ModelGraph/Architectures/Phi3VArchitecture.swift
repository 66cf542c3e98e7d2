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
        let hidden = try r.int("hidden_size")
        let heads = try r.int("num_attention_heads")
        guard heads > 0, hidden % heads == 0 else { throw FormatError(file, "hidden_size \(hidden) is not a multiple of num_attention_heads \(heads)") }
        let headDim = hidden / heads
        let maxPositions = try r.int("max_position_embeddings")
        var rope = DecoderConfig.RopeScaling.none
        if let scaling = r.object("rope_scaling") {
            let type = scaling.string("type", default: scaling.string("rope_type", default: ""))
            guard type == "su" || type == "longrope" else { throw FormatError(file, "rope_scaling type '\(type)' is not supported (su/longrope)") }
            let short = try scaling.floats("short_factor"), long = try scaling.floats("long_factor")
            guard short.count == headDim / 2, long.count == headDim / 2 else {
                throw FormatError(file, "rope_scaling factors have \(short.count)/\(long.count) values, expected head_dim/2 = \(headDim / 2)")
            }
            rope = .longRoPE(short: short, long: long, originalMaxPositions: try r.int("original_max_position_embeddings"))
        }
        let act = r.string("hidden_act", default: "silu")
        guard act == "silu" else { throw FormatError(file, "hidden_act '\(act)' is not supported (silu)") }
        let decoder = DecoderConfig(
            hiddenSize: hidden, intermediateSize: try r.int("intermediate_size"), layerCount: try r.int("num_hidden_layers"),
            headCount: heads, kvHeadCount: try r.int("num_key_value_heads", default: heads), headDim: headDim,
            vocabSize: try r.int("vocab_size"), rmsNormEps: Float(try r.double("rms_norm_eps", default: 1e-5)),
            ropeTheta: Float(try r.double("rope_theta", default: 10000)), rope: rope, maxPositions: maxPositions)
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
        let d = c.decoder
        let h = d.hiddenSize, qkv = (d.headCount + 2 * d.kvHeadCount) * d.headDim
        var t: [(String, [Int])] = [("decoder.embed_tokens.weight", [d.vocabSize, h])]
        for l in 0..<d.layerCount {
            let p = "decoder.layers.\(l)."
            t += [(p + "input_layernorm.weight", [h]), (p + "self_attn.qkv_proj.weight", [qkv, h]),
                  (p + "self_attn.o_proj.weight", [h, d.headCount * d.headDim]), (p + "post_attention_layernorm.weight", [h]),
                  (p + "mlp.gate_up_proj.weight", [2 * d.intermediateSize, h]), (p + "mlp.down_proj.weight", [h, d.intermediateSize])]
        }
        t.append(("decoder.norm.weight", [h]))
        t += CLIPNames.required(c.vision)
        let wide = 4 * c.vision.hiddenSize
        t += [("projector.linear_1.weight", [h, wide]), ("projector.linear_1.bias", [h]),
              ("projector.linear_2.weight", [h, h]), ("projector.linear_2.bias", [h]),
              ("image.glb_GN", [1, 1, wide]), ("image.sub_GN", [1, 1, 1, wide])]
        return t
    }

    public static func optionalTensors(_ c: ModelConfig) -> [(String, [Int])] {
        [("lm_head.weight", [c.decoder.vocabSize, c.decoder.hiddenSize])] + CLIPNames.optional(c.vision)
    }
}
