import TensorFormats

/// The decoder tensors and hyperparameters the text decoders share: Mistral/Llama (separate
/// q/k/v and gate/up projections, plain RoPE) and Phi-3 (fused `qkv_proj`/`gate_up_proj`, LongRoPE).
enum DecoderTensors {
    /// Canonical decoder tensors with separate projections (Llama, Mistral, LLaVA-NeXT's text model).
    static func separate(_ d: DecoderConfig) -> [(String, [Int])] {
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
        return t
    }

    /// Canonical decoder tensors with Phi-3's fused projections.
    static func fused(_ d: DecoderConfig) -> [(String, [Int])] {
        let h = d.hiddenSize, qkv = (d.headCount + 2 * d.kvHeadCount) * d.headDim
        var t: [(String, [Int])] = [("decoder.embed_tokens.weight", [d.vocabSize, h])]
        for l in 0..<d.layerCount {
            let p = "decoder.layers.\(l)."
            t += [(p + "input_layernorm.weight", [h]), (p + "self_attn.qkv_proj.weight", [qkv, h]),
                  (p + "self_attn.o_proj.weight", [h, d.headCount * d.headDim]), (p + "post_attention_layernorm.weight", [h]),
                  (p + "mlp.gate_up_proj.weight", [2 * d.intermediateSize, h]), (p + "mlp.down_proj.weight", [h, d.intermediateSize])]
        }
        t.append(("decoder.norm.weight", [h]))
        return t
    }

    /// The canonical name of a `*ForCausalLM` checkpoint tensor (`model.*` → `decoder.*`, `lm_head.weight`).
    static func canonicalTextModelName(_ name: String) -> String? {
        if isIgnoredBuffer(name) { return nil }
        if name.hasPrefix("model.") { return "decoder." + name.dropFirst("model.".count) }
        if name == "lm_head.weight" { return name }
        return nil
    }

    /// The LM head, carried when present (the embedding head drops it).
    static func head(_ d: DecoderConfig) -> [(String, [Int])] {
        [("lm_head.weight", [d.vocabSize, d.hiddenSize])]
    }

    /// A Mistral/Llama text config (`config.json` of a `*ForCausalLM`, or LLaVA-NeXT's `text_config`);
    /// `defaults` supplies Mistral-7B values for keys LLaVA-NeXT configs may omit.
    static func parseLlama(_ r: ConfigReader, mistralDefaults: Bool) throws -> DecoderConfig {
        let file = r.file
        let hidden = mistralDefaults ? try r.int("hidden_size", default: 4096) : try r.int("hidden_size")
        let heads = mistralDefaults ? try r.int("num_attention_heads", default: 32) : try r.int("num_attention_heads")
        guard heads > 0, hidden % heads == 0 || r.json["head_dim"] != nil else {
            throw FormatError(file, "hidden_size \(hidden) is not a multiple of num_attention_heads \(heads)")
        }
        let act = r.string("hidden_act", default: "silu")
        guard act == "silu" else { throw FormatError(file, "hidden_act '\(act)' is not supported (silu)") }
        if r.object("rope_scaling") != nil { throw FormatError(file, "rope_scaling is not supported for llama-family decoders") }
        for key in ["attention_bias", "mlp_bias"] where r.json[key]?.boolValue == true {
            throw FormatError(file, "\(key) is not supported (llama-family decoders without biases)")
        }
        let decoder = DecoderConfig(
            hiddenSize: hidden,
            intermediateSize: mistralDefaults ? try r.int("intermediate_size", default: 14336) : try r.int("intermediate_size"),
            layerCount: mistralDefaults ? try r.int("num_hidden_layers", default: 32) : try r.int("num_hidden_layers"),
            headCount: heads, kvHeadCount: try r.int("num_key_value_heads", default: mistralDefaults ? 8 : heads),
            headDim: try r.int("head_dim", default: hidden / heads),
            vocabSize: mistralDefaults ? try r.int("vocab_size", default: 32064) : try r.int("vocab_size"),
            rmsNormEps: Float(try r.double("rms_norm_eps", default: 1e-5)),
            ropeTheta: Float(try r.double("rope_theta", default: mistralDefaults ? 1_000_000 : 10000)), rope: .none,
            maxPositions: try r.int("max_position_embeddings", default: mistralDefaults ? 32768 : 2048))
        try check(decoder, file: file)
        return decoder
    }

    /// A Phi-3 text config (Phi-3-V's top level, or a `Phi3ForCausalLM`), LongRoPE factors included.
    static func parsePhi3(_ r: ConfigReader) throws -> DecoderConfig {
        let file = r.file
        let hidden = try r.int("hidden_size")
        let heads = try r.int("num_attention_heads")
        guard heads > 0, hidden % heads == 0 else { throw FormatError(file, "hidden_size \(hidden) is not a multiple of num_attention_heads \(heads)") }
        let headDim = hidden / heads
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
            ropeTheta: Float(try r.double("rope_theta", default: 10000)), rope: rope, maxPositions: try r.int("max_position_embeddings"))
        try check(decoder, file: file)
        return decoder
    }

    /// Refuses shapes no forward pass can run (zero sizes, GQA groups that do not divide).
    static func check(_ d: DecoderConfig, file: String) throws {
        guard d.hiddenSize > 0, d.intermediateSize > 0, d.layerCount > 0, d.headCount > 0, d.kvHeadCount > 0, d.headDim > 0,
              d.headDim % 2 == 0, d.vocabSize > 0, d.maxPositions > 0 else {
            throw FormatError(file, "inconsistent decoder config (hidden \(d.hiddenSize), intermediate \(d.intermediateSize), layers \(d.layerCount), heads \(d.headCount)/\(d.kvHeadCount), head_dim \(d.headDim), vocab \(d.vocabSize))")
        }
        guard d.headCount % d.kvHeadCount == 0 else {
            throw FormatError(file, "num_attention_heads \(d.headCount) is not a multiple of num_key_value_heads \(d.kvHeadCount)")
        }
        try ConfigLimits.check(d, file: file)
    }
}
