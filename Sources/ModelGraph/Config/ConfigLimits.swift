import TensorFormats

/// The bounds every parsed configuration must respect (`InputLimits`), checked once the
/// hyperparameters are read — before any name list, row order or buffer is sized by them — so a
/// `config.json`, a bundle manifest or GGUF keys claiming 2³¹ layers or a 2⁶³-wide layer are
/// refused with one line naming the file, the field and the value.
enum ConfigLimits {
    static func width(_ v: Int, _ field: String, file: String) throws {
        try Checked.within(v, 1...InputLimits.maxWidth, file: file, field, why: "the width limit")
    }

    static func layers(_ v: Int, _ field: String, file: String) throws {
        try Checked.within(v, 1...InputLimits.maxLayers, file: file, field, why: "the layer limit")
    }

    static func check(_ d: DecoderConfig, file: String) throws {
        try width(d.hiddenSize, "hidden_size", file: file)
        try width(d.intermediateSize, "intermediate_size", file: file)
        try layers(d.layerCount, "num_hidden_layers", file: file)
        try width(d.headCount, "num_attention_heads", file: file)
        try width(d.kvHeadCount, "num_key_value_heads", file: file)
        try width(d.headDim, "head_dim", file: file)
        // Projection widths (heads × head size) are widths too: GGUF row orders are sized by them.
        try width(d.headCount * d.headDim, "num_attention_heads × head_dim", file: file)
        try width(d.kvHeadCount * d.headDim, "num_key_value_heads × head_dim", file: file)
        try Checked.within(d.vocabSize, 1...InputLimits.maxVocabulary, file: file, "vocab_size", why: "the vocabulary limit")
        try Checked.within(d.maxPositions, 1...InputLimits.maxPositions, file: file, "max_position_embeddings", why: "the position limit")
        if case .longRoPE(_, _, let orig) = d.rope {
            try Checked.within(orig, 2...InputLimits.maxPositions, file: file, "original_max_position_embeddings", why: "the position limit")
        }
    }

    static func check(_ v: VisionConfig, file: String) throws {
        try width(v.hiddenSize, "vision hidden_size", file: file)
        try width(v.intermediateSize, "vision intermediate_size", file: file)
        try layers(v.layerCount, "vision num_hidden_layers", file: file)
        try width(v.headCount, "vision num_attention_heads", file: file)
        try width(v.patchSize, "vision patch_size", file: file)
        try width(v.imageSize, "vision image_size", file: file)
        try width(v.patchCount, "vision patches per image (image_size / patch_size)²", file: file)
        try Checked.within(v.featureLayer, -(v.layerCount + 1)...v.layerCount, file: file, "vision feature layer", why: "must name a hidden state of the tower")
    }

    /// `image_mean`/`image_std`: three finite values each, std non-zero.
    static func normalization(mean: [Float], std: [Float], file: String) throws {
        guard mean.count == 3, std.count == 3 else {
            throw FormatError(file, "image_mean has \(mean.count) values and image_std \(std.count), expected 3 each (RGB)")
        }
        guard mean.allSatisfy(\.isFinite), std.allSatisfy({ $0.isFinite && $0 != 0 }) else {
            throw FormatError(file, "image_mean \(mean) / image_std \(std) must be finite (std non-zero)")
        }
    }

    static func crops(_ n: Int, file: String) throws {
        try Checked.within(n, 1...InputLimits.maxCrops, file: file, "num_crops", why: "the crop limit")
    }

    static func pinpoints(_ pins: [LlavaNextImageConfig.GridSize], file: String) throws {
        guard pins.count <= InputLimits.maxPinpoints else {
            throw FormatError(file, "image_grid_pinpoints has \(pins.count) entries, above the limit of \(InputLimits.maxPinpoints)")
        }
        let tile = 336, side = tile * InputLimits.maxPinpointTiles
        for p in pins {
            guard p.height <= side, p.width <= side, p.height % tile == 0, p.width % tile == 0,
                  (p.height / tile) * (p.width / tile) <= InputLimits.maxPinpointTiles else {
                throw FormatError(file, "image_grid_pinpoints entry [\(p.height), \(p.width)] must be multiples of \(tile) with at most \(InputLimits.maxPinpointTiles) tiles of \(tile)²")
            }
        }
    }
}
