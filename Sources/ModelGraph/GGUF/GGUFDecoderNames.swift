import TensorFormats

/// The text decoders llama.cpp files hold (`general.architecture` `llama` or `phi3`, spec
/// architectures.md §E.2–E.3): their hyperparameters as the Hugging Face `config.json` they were
/// converted from, and their tensor names as canonical names.
enum GGUFDecoderNames {
    /// The GGUF architectures that load as a model (the `clip` mmproj joins one with `--mmproj`).
    static let supported = ["llama (Llama, Mistral, LLaVA-1.6 text, SmolLM2)", "phi3 (Phi-3 text)"]

    /// The `config.json` of the HF model this GGUF was converted from (what bundles embed), for the
    /// `llama` and `phi3` architectures.
    static func config(_ file: GGUFFile, architecture: String) throws -> JSONValue {
        let m = GGUFMetadataReader(file: file, prefix: architecture + ".")
        let hidden = try m.int("embedding_length"), heads = try m.int("attention.head_count")
        guard heads > 0 else { throw FormatError(file.path, "\(architecture).attention.head_count is 0") }
        let headDim = try m.int("attention.key_length", default: hidden / heads)
        let ropeDims = try m.int("rope.dimension_count", default: headDim)
        guard ropeDims == headDim else {
            throw FormatError(file.path, "\(architecture).rope.dimension_count \(ropeDims) differs from the head size \(headDim): partial rotary embeddings are not supported")
        }
        let vocab = try m.int("vocab_size", default: m.shape("token_embd.weight")?.first ?? file.stringArray("tokenizer.ggml.tokens")?.count ?? 0)
        var pairs: [(String, JSONValue)] = [
            ("hidden_size", .int(hidden)), ("intermediate_size", .int(try m.int("feed_forward_length"))),
            ("num_hidden_layers", .int(try m.int("block_count"))), ("num_attention_heads", .int(heads)),
            ("num_key_value_heads", .int(try m.int("attention.head_count_kv", default: heads))), ("head_dim", .int(headDim)),
            ("vocab_size", .int(vocab)), ("rms_norm_eps", .double(try m.double("attention.layer_norm_rms_epsilon", default: 1e-5))),
            ("rope_theta", .double(try m.double("rope.freq_base", default: 10000))),
            ("max_position_embeddings", .int(try m.int("context_length"))), ("hidden_act", .string("silu")),
        ]
        switch architecture {
        case "llama":
            if let type = m.string("rope.scaling.type"), type != "none" {
                throw FormatError(file.path, "llama.rope.scaling.type '\(type)' is not supported (plain RoPE only)")
            }
            if file.descriptor(named: "rope_freqs.weight") != nil {
                throw FormatError(file.path, "rope_freqs.weight (Llama-3 frequency scaling) is not supported")
            }
            return .object([("architectures", .array([.string("LlamaForCausalLM")])), ("model_type", .string("llama"))] + pairs)
        default:
            if file.descriptor(named: "rope_factors_long.weight") != nil, file.descriptor(named: "rope_factors_short.weight") != nil {
                let short = try file.floats(named: "rope_factors_short.weight"), longValues = try file.floats(named: "rope_factors_long.weight")
                pairs.append(("original_max_position_embeddings", .int(try m.int("rope.scaling.original_context_length"))))
                pairs.append(("rope_scaling", .object([("type", .string("longrope")),
                                                       ("short_factor", .array(short.map { .double(Double($0)) })),
                                                       ("long_factor", .array(longValues.map { .double(Double($0)) }))])))
            }
            return .object([("architectures", .array([.string("Phi3ForCausalLM")])), ("model_type", .string("phi3"))] + pairs)
        }
    }

    /// Canonical name → GGUF tensor for a decoder of `config` (llama: Q/K rows put back in HF order).
    static func bindings(_ file: GGUFFile, architecture: String, config: DecoderConfig) -> [String: GGUFBinding] {
        var map: [String: GGUFBinding] = [
            "decoder.embed_tokens.weight": GGUFBinding(source: file, name: "token_embd.weight"),
            "decoder.norm.weight": GGUFBinding(source: file, name: "output_norm.weight"),
            "lm_head.weight": GGUFBinding(source: file, name: "output.weight"),
        ]
        let q = config.headCount * config.headDim, kv = config.kvHeadCount * config.headDim
        // Every layer has the same Q/K row orders: computed once and shared (arrays are copy-on-write).
        let qOrder = architecture == "phi3" ? nil : LlamaRowPermutation.canonicalOrder(rows: q, heads: config.headCount)
        let kOrder = architecture == "phi3" ? nil : LlamaRowPermutation.canonicalOrder(rows: kv, heads: config.kvHeadCount)
        for l in 0..<config.layerCount {
            let b = "blk.\(l).", p = "decoder.layers.\(l)."
            var names = [("attn_norm.weight", "input_layernorm.weight"), ("attn_output.weight", "self_attn.o_proj.weight"),
                         ("ffn_norm.weight", "post_attention_layernorm.weight"), ("ffn_down.weight", "mlp.down_proj.weight")]
            if architecture == "phi3" {
                names += [("attn_qkv.weight", "self_attn.qkv_proj.weight"), ("ffn_up.weight", "mlp.gate_up_proj.weight")]
            } else {
                names += [("attn_v.weight", "self_attn.v_proj.weight"), ("ffn_gate.weight", "mlp.gate_proj.weight"), ("ffn_up.weight", "mlp.up_proj.weight")]
                map[p + "self_attn.q_proj.weight"] = GGUFBinding(source: file, name: b + "attn_q.weight",
                                                                 rowOrder: qOrder)
                map[p + "self_attn.k_proj.weight"] = GGUFBinding(source: file, name: b + "attn_k.weight",
                                                                 rowOrder: kOrder)
            }
            for (g, c) in names { map[p + c] = GGUFBinding(source: file, name: b + g) }
        }
        return map
    }

    /// GGUF tensors the decoder reads through its config rather than as weights.
    static let consumed: Set<String> = ["rope_factors_long.weight", "rope_factors_short.weight"]
}
