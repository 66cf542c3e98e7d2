import TensorFormats

/// A llama.cpp `clip` mmproj file for LLaVA-1.6 (spec architectures.md §E.4): the CLIP tower as
/// far as the feature layer, the two-layer projector and `image_newline`, in both the legacy
/// naming (`convert_image_encoder_to_gguf.py`: fc1 written as `ffn_down`, fc2 as `ffn_up`,
/// `model.image_newline`) and the current one (`ffn_up` = fc1, `v.image_newline`).
enum GGUFClipNames {
    /// Checks the file is a LLaVA mmproj and returns its metadata reader.
    static func open(_ file: GGUFFile) throws -> GGUFMetadataReader {
        guard file.architecture == "clip" else {
            throw FormatError(file.path, "--mmproj expects a clip mmproj GGUF, this file's general.architecture is '\(file.architecture ?? "none")'")
        }
        if file.bool("clip.has_vision_encoder") == false { throw FormatError(file.path, "mmproj has no vision encoder") }
        let projector = file.string("clip.projector_type") ?? "mlp"
        guard projector == "mlp" else {
            throw FormatError(file.path, "mmproj projector type '\(projector)' is not supported (mlp: LLaVA-1.5/1.6)")
        }
        if file.bool("clip.use_gelu") == true {
            throw FormatError(file.path, "mmproj uses GELU in the vision tower; only quick_gelu CLIP towers are supported")
        }
        return GGUFMetadataReader(file: file, prefix: "clip.vision.")
    }

    /// `vision_config`, `vision_feature_layer`, `image_grid_pinpoints` for a LLaVA-NeXT config, and
    /// the preprocessor's mean/std. The stored blocks are the layers that run: legacy files drop
    /// the layers past the feature layer.
    static func llavaConfig(_ m: GGUFMetadataReader) throws -> (vision: JSONValue, featureLayer: Int, pinpoints: JSONValue, preprocessor: JSONValue) {
        let blocks = try m.int("block_count")
        var featureLayer = -1
        if let layers = m.ints("feature_layer"), !layers.isEmpty {
            guard layers.count == 1, let l = layers.first, l > 0, l <= blocks else {
                throw FormatError(m.path, "clip.vision.feature_layer \(layers) is not supported (one layer within the \(blocks) stored blocks)")
            }
            featureLayer = l
        }
        let vision: JSONValue = .object([
            ("hidden_size", .int(try m.int("embedding_length"))), ("intermediate_size", .int(try m.int("feed_forward_length"))),
            ("num_hidden_layers", .int(blocks)), ("num_attention_heads", .int(try m.int("attention.head_count"))),
            ("patch_size", .int(try m.int("patch_size"))), ("image_size", .int(try m.int("image_size"))),
            ("layer_norm_eps", .double(try m.double("attention.layer_norm_epsilon", default: 1e-5))), ("hidden_act", .string("quick_gelu")),
        ])
        guard let flat = m.ints("image_grid_pinpoints"), !flat.isEmpty, flat.count % 2 == 0 else {
            throw FormatError(m.path, "mmproj has no clip.vision.image_grid_pinpoints (LLaVA-1.6 anyres needs them)")
        }
        let pinpoints: JSONValue = .array(stride(from: 0, to: flat.count, by: 2).map { .array([.int(flat[$0]), .int(flat[$0 + 1])]) })
        guard let mean = m.doubles("image_mean"), let std = m.doubles("image_std"), mean.count == 3, std.count == 3 else {
            throw FormatError(m.path, "mmproj needs 3-value clip.vision.image_mean and image_std")
        }
        let preprocessor: JSONValue = .object([("image_mean", .array(mean.map { .double($0) })), ("image_std", .array(std.map { .double($0) }))])
        return (vision, featureLayer, pinpoints, preprocessor)
    }

    /// Checks what `llavaConfig` read against the config rules and limits, so that a bad mmproj is
    /// refused with the mmproj named (the combined config is otherwise checked under the text
    /// model's name).
    static func validate(_ parts: (vision: JSONValue, featureLayer: Int, pinpoints: JSONValue, preprocessor: JSONValue), file: String) throws {
        let vision = try VisionConfig.parse(ConfigReader(json: parts.vision, file: file), featureLayer: parts.featureLayer)
        try ConfigLimits.check(vision, file: file)
        let pins = try (parts.pinpoints.arrayValue ?? []).map { p -> LlavaNextImageConfig.GridSize in
            guard let a = p.arrayValue, a.count == 2, let h = a[0].intValue, let w = a[1].intValue, h > 0, w > 0 else {
                throw FormatError(file, "clip.vision.image_grid_pinpoints must hold positive (height, width) pairs")
            }
            return .init(height: h, width: w)
        }
        try ConfigLimits.pinpoints(pins, file: file)
    }

    /// Canonical name → mmproj tensor. Legacy files are told apart by `ffn_down`'s shape: written
    /// from fc1, it maps hidden → intermediate.
    static func bindings(_ file: GGUFFile, vision: VisionConfig) -> [String: GGUFBinding] {
        func bind(_ name: String) -> GGUFBinding { GGUFBinding(source: file, name: name) }
        var map: [String: GGUFBinding] = [
            "vision.embeddings.class_embedding": bind("v.class_embd"),
            "vision.embeddings.patch_embedding.weight": bind("v.patch_embd.weight"),
            "vision.embeddings.position_embedding.weight": bind("v.position_embd.weight"),
            "vision.pre_layrnorm.weight": bind("v.pre_ln.weight"), "vision.pre_layrnorm.bias": bind("v.pre_ln.bias"),
            "vision.post_layernorm.weight": bind("v.post_ln.weight"), "vision.post_layernorm.bias": bind("v.post_ln.bias"),
            "projector.linear_1.weight": bind("mm.0.weight"), "projector.linear_1.bias": bind("mm.0.bias"),
            "projector.linear_2.weight": bind("mm.2.weight"), "projector.linear_2.bias": bind("mm.2.bias"),
            "image.newline": bind(file.descriptor(named: "v.image_newline") != nil ? "v.image_newline" : "model.image_newline"),
        ]
        let legacy = file.descriptor(named: "v.blk.0.ffn_down.weight")?.shape == [vision.intermediateSize, vision.hiddenSize]
            && vision.intermediateSize != vision.hiddenSize
        for l in 0..<vision.layerCount {
            let b = "v.blk.\(l).", p = "vision.encoder.layers.\(l)."
            let (fc1, fc2) = legacy ? ("ffn_down", "ffn_up") : ("ffn_up", "ffn_down")
            for (g, c) in [("attn_q", "self_attn.q_proj"), ("attn_k", "self_attn.k_proj"), ("attn_v", "self_attn.v_proj"),
                           ("attn_out", "self_attn.out_proj"), ("ln1", "layer_norm1"), ("ln2", "layer_norm2"), (fc1, "mlp.fc1"), (fc2, "mlp.fc2")] {
                map[p + c + ".weight"] = bind(b + g + ".weight")
                map[p + c + ".bias"] = bind(b + g + ".bias")
            }
        }
        return map
    }
}
