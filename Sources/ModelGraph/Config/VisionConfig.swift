import TensorFormats

/// A CLIP vision transformer's hyperparameters.
public struct VisionConfig: Sendable, Equatable {
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var patchSize: Int
    public var imageSize: Int
    public var layerNormEps: Float
    /// Which hidden state feeds the projector, Python-style (−2 = the output of the second-to-last layer).
    public var featureLayer: Int

    /// CLIP ViT-L/14-336, which Phi-3-V hard-codes when the config has no `vision_config`.
    public static let clipViTL14_336 = VisionConfig(hiddenSize: 1024, intermediateSize: 4096, layerCount: 24, headCount: 16,
                                                    patchSize: 14, imageSize: 336, layerNormEps: 1e-5, featureLayer: -2)

    public var gridSide: Int { imageSize / patchSize }
    public var patchCount: Int { gridSide * gridSide }
    public var headDim: Int { hiddenSize / headCount }

    /// Encoder layers that must run to produce the feature layer (hidden_states[featureLayer]).
    public var layersToRun: Int { featureLayer < 0 ? layerCount + 1 + featureLayer : featureLayer }

    static func parse(_ r: ConfigReader, featureLayer: Int) throws -> VisionConfig {
        let act = r.string("hidden_act", default: "quick_gelu")
        guard act == "quick_gelu" else { throw FormatError(r.file, "vision hidden_act '\(act)' is not supported (only quick_gelu)") }
        let c = VisionConfig(
            hiddenSize: try r.int("hidden_size", default: 1024),
            intermediateSize: try r.int("intermediate_size", default: 4096),
            layerCount: try r.int("num_hidden_layers", default: 24),
            headCount: try r.int("num_attention_heads", default: 16),
            patchSize: try r.int("patch_size", default: 14),
            imageSize: try r.int("image_size", default: 336),
            layerNormEps: Float(try r.double("layer_norm_eps", default: 1e-5)),
            featureLayer: featureLayer)
        try ConfigLimits.check(c, file: r.file)
        guard c.headCount > 0, c.hiddenSize % c.headCount == 0, c.patchSize > 0, c.imageSize % c.patchSize == 0,
              c.layersToRun >= 0, c.layersToRun <= c.layerCount else {
            throw FormatError(r.file, "inconsistent vision config (hidden \(c.hiddenSize), heads \(c.headCount), patch \(c.patchSize), image \(c.imageSize), feature layer \(featureLayer))")
        }
        return c
    }
}
