import Kernels
import ModelGraph

/// LLaVA-1.6 as VLM2Vec runs it: CLIP features of every patch, the erf-GELU projector per token,
/// packing (base patch's tokens, then the anyres tile grid unpadded to the original aspect with
/// `image_newline` after every row), spliced into the image-token positions, then Mistral.
public struct LlavaNextModel: EmbeddingModel {
    public let config: ModelConfig
    public let head: EmbeddingHead
    let vision: CLIPVisionTower
    let decoder: TransformerDecoder
    let projector1: LinearLayer
    let projector2: LinearLayer
    let newline: [Float]
    let imageTokenIndex: Int

    public init(graph: ModelGraph) throws {
        config = graph.config
        vision = try CLIPVisionTower(graph: graph)
        head = graph.head ?? .vlm2vec(for: graph.config)
        decoder = try TransformerDecoder(graph: graph, fused: false)
        projector1 = try LinearLayer(graph, "projector.linear_1", bias: true)
        projector2 = try LinearLayer(graph, "projector.linear_2", bias: true)
        newline = try graph.floats("image.newline")
        guard case .llavaNext(let image) = graph.config.image else { throw ModelError("not a llava_next graph") }
        imageTokenIndex = image.imageTokenIndex
    }

    public var textDecoder: TransformerDecoder? { decoder }

    public func finalHiddenStates(_ input: PreparedInput, rows: DecoderRows, trace: Trace) throws -> FloatBuffer {
        let ids = input.inputIds
        // A text-only request keeps a literal <image> token as its plain embedding (upstream).
        let slots = input.images.isEmpty ? [] : ids.indices.filter { ids[$0] == imageTokenIndex }
        return try decoder.spliceAndRun(ids, slots: slots, hasImages: !input.images.isEmpty, rows: rows, trace: trace) {
            try imageFeatures(input.images, trace: trace)
        }
    }

    /// Packed features of all images, in prompt order: `[tokens × H]`.
    func imageFeatures(_ images: [PreparedImage], trace: Trace) throws -> [Float] {
        let c = vision.config.hiddenSize, g = vision.config.gridSide, s = vision.config.patchCount + 1
        let h = config.decoder.hiddenSize
        let perPatch = g * g
        var packed: [Float] = []
        var projAll: [Float] = [], visionHidden: [Float] = [], visionCLS: [Float] = []
        var totalPatches = 0
        for image in images {
            guard case .llavaAnyres(let rows, let cols, let origH, let origW) = image.layout, image.crops == 1 + rows * cols else {
                throw ModelError("image is not laid out as LLaVA-NeXT anyres patches")
            }
            let states = image.pixels.withUnsafeBufferPointer { vision.hiddenStates(pixels: $0.baseAddress!, crops: image.crops) }
            // Drop CLS: [patches × 576 × C].
            let tokens = FloatBuffer(count: image.crops * perPatch * c)
            for p in 0..<image.crops {
                (tokens.pointer + p * perPatch * c).update(from: states.pointer + p * s * c + c, count: perPatch * c)
                if trace.isEnabled {
                    visionCLS += UnsafeBufferPointer(start: states.pointer + p * s * c, count: c)
                }
            }
            if trace.isEnabled { visionHidden += tokens.buffer }
            let hidden = projector1(tokens.pointer, count: image.crops * perPatch)
            Activations.gelu(hidden.pointer, count: image.crops * perPatch * projector1.outputs)
            let proj = projector2(hidden.pointer, count: image.crops * perPatch)
            if trace.isEnabled { projAll += proj.buffer }
            totalPatches += image.crops

            // Base patch first, no newline.
            packed += UnsafeBufferPointer(start: proj.pointer, count: perPatch * h)
            // Tile grid Φ[(g·rows) × (g·cols)], unpadded with the processor's integer rule.
            let ch = g * rows, cw = g * cols
            var rowRange = 0..<ch, colRange = 0..<cw
            if origW * ch > cw * origH {
                let newH = origH * cw / origW
                let pad = (ch - newH) / 2
                rowRange = pad..<(ch - pad)
            } else {
                let newW = origW * ch / origH
                let pad = (cw - newW) / 2
                colRange = pad..<(cw - pad)
            }
            for R in rowRange {
                for C in colRange {
                    let tile = 1 + (R / g) * cols + (C / g)
                    let t = (R % g) * g + (C % g)
                    packed += UnsafeBufferPointer(start: proj.pointer + (tile * perPatch + t) * h, count: h)
                }
                packed += newline
            }
        }
        if trace.isEnabled {
            trace.record("vision_hidden", shape: [totalPatches, perPatch, c], visionHidden)
            trace.record("vision_hidden_cls", shape: [totalPatches, 1, c], visionCLS)
            trace.record("image_features_proj", shape: [totalPatches, perPatch, h], projAll)
            trace.record("image_features_packed", shape: [packed.count / h, h], packed)
        }
        return packed
    }
}
