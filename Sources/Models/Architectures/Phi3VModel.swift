import Kernels
import ModelGraph

/// Phi-3.5-V as VLM2Vec runs it: CLIP features of every crop, the HD layout (2×2 merge, sub-crop
/// grid rows each followed by `sub_GN`, then `glb_GN`, then the global crop's rows each followed
/// by `sub_GN`), the two-layer erf-GELU projector, spliced into the negative-id slots, then the
/// Phi-3 decoder with LongRoPE.
public struct Phi3VModel: EmbeddingModel {
    public let config: ModelConfig
    public let head: EmbeddingHead
    let vision: CLIPVisionTower
    let decoder: TransformerDecoder
    let projector1: LinearLayer
    let projector2: LinearLayer
    let globalSeparator: [Float]
    let subSeparator: [Float]

    public init(graph: ModelGraph) throws {
        config = graph.config
        vision = try CLIPVisionTower(graph: graph)
        head = graph.head ?? .vlm2vec(for: graph.config)
        decoder = try TransformerDecoder(graph: graph, fused: true)
        projector1 = try LinearLayer(graph, "projector.linear_1", bias: true)
        projector2 = try LinearLayer(graph, "projector.linear_2", bias: true)
        globalSeparator = try graph.floats("image.glb_GN")
        subSeparator = try graph.floats("image.sub_GN")
    }

    public var textDecoder: TransformerDecoder? { decoder }

    public func finalHiddenStates(_ input: PreparedInput, rows: DecoderRows, trace: Trace) throws -> FloatBuffer {
        let ids = input.inputIds
        return try decoder.spliceAndRun(ids, slots: ids.indices.filter { ids[$0] < 0 }, hasImages: !input.images.isEmpty, rows: rows, trace: trace) {
            try imageFeatures(input.images, trace: trace)
        }
    }

    /// Projected features of all images, in prompt order: `[tokens × H]`.
    func imageFeatures(_ images: [PreparedImage], trace: Trace) throws -> [Float] {
        let c = vision.config.hiddenSize, g = vision.config.gridSide, s = vision.config.patchCount + 1
        guard g % 2 == 0 else { throw ModelError("CLIP grid \(g) is odd; the 2×2 merge needs an even grid") }
        let m = g / 2, wide = 4 * c
        var hd: [Float] = []
        var visionHidden: [Float] = [], visionCLS: [Float] = []
        var totalCrops = 0
        for image in images {
            guard case .phi3HD(let rows, let cols) = image.layout, image.crops == 1 + rows * cols else {
                throw ModelError("image is not laid out as Phi-3-V HD crops")
            }
            let states = image.pixels.withUnsafeBufferPointer { vision.hiddenStates(pixels: $0.baseAddress!, crops: image.crops) }
            if trace.isEnabled {
                for crop in 0..<image.crops {
                    let base = states.pointer + crop * s * c
                    visionCLS += UnsafeBufferPointer(start: base, count: c)
                    visionHidden += UnsafeBufferPointer(start: base + c, count: (s - 1) * c)
                }
                totalCrops += image.crops
            }
            // Token (r, col) of crop k, without CLS.
            func token(_ crop: Int, _ r: Int, _ col: Int) -> UnsafeMutablePointer<Float> {
                states.pointer + crop * s * c + (1 + r * g + col) * c
            }
            func merged(_ crop: Int, _ i: Int, _ j: Int) -> [Float] {
                Array(UnsafeBufferPointer(start: token(crop, 2 * i, 2 * j), count: c))
                    + Array(UnsafeBufferPointer(start: token(crop, 2 * i, 2 * j + 1), count: c))
                    + Array(UnsafeBufferPointer(start: token(crop, 2 * i + 1, 2 * j), count: c))
                    + Array(UnsafeBufferPointer(start: token(crop, 2 * i + 1, 2 * j + 1), count: c))
            }
            for R in 0..<(m * rows) {
                for Cc in 0..<(m * cols) {
                    let crop = 1 + (R / m) * cols + (Cc / m)
                    hd += merged(crop, R % m, Cc % m)
                }
                hd += subSeparator
            }
            hd += globalSeparator
            for i in 0..<m {
                for j in 0..<m { hd += merged(0, i, j) }
                hd += subSeparator
            }
        }
        if trace.isEnabled {
            trace.record("vision_hidden", shape: [totalCrops, s - 1, c], visionHidden)
            trace.record("vision_hidden_cls", shape: [totalCrops, 1, c], visionCLS)
        }
        let tokens = hd.count / wide
        trace.record("image_features_hd", shape: [tokens, wide], hd)
        let hidden = hd.withUnsafeBufferPointer { projector1($0.baseAddress!, count: tokens) }
        Activations.gelu(hidden.pointer, count: tokens * projector1.outputs)
        let out = projector2(hidden.pointer, count: tokens)
        let result = Array(out.buffer)
        trace.record("image_features_proj", shape: [tokens, projector2.outputs], result)
        return result
    }
}
