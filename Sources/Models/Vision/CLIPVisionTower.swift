import Kernels
import ModelGraph

/// The CLIP vision transformer both backbones use, run up to the feature layer
/// (`hidden_states[-2]`): patch embedding (stride-p convolution as a GEMM), CLS token, position
/// embeddings, `pre_layrnorm`, then pre-LN encoder layers with quick_gelu MLPs.
public struct CLIPVisionTower: Sendable {
    let config: VisionConfig
    let patchWeight: WeightMatrix
    let classEmbedding: [Float]
    let positionEmbedding: [Float]
    let preNorm: (weight: [Float], bias: [Float])
    let layers: [Layer]

    struct Layer: Sendable {
        let norm1: (weight: [Float], bias: [Float])
        let norm2: (weight: [Float], bias: [Float])
        let q, k, v, o, fc1, fc2: LinearLayer
    }

    public init(graph: ModelGraph) throws {
        guard let vision = graph.config.vision else { throw ModelError("\(graph.config.kind.rawValue) has no vision tower") }
        config = vision
        let p = "vision."
        patchWeight = try graph.matrix(p + "embeddings.patch_embedding.weight")
        classEmbedding = try graph.floats(p + "embeddings.class_embedding")
        positionEmbedding = try graph.floats(p + "embeddings.position_embedding.weight")
        preNorm = (try graph.floats(p + "pre_layrnorm.weight"), try graph.floats(p + "pre_layrnorm.bias"))
        layers = try (0..<config.layersToRun).map { l in
            let lp = p + "encoder.layers.\(l)."
            return Layer(
                norm1: (try graph.floats(lp + "layer_norm1.weight"), try graph.floats(lp + "layer_norm1.bias")),
                norm2: (try graph.floats(lp + "layer_norm2.weight"), try graph.floats(lp + "layer_norm2.bias")),
                q: try LinearLayer(graph, lp + "self_attn.q_proj", bias: true), k: try LinearLayer(graph, lp + "self_attn.k_proj", bias: true),
                v: try LinearLayer(graph, lp + "self_attn.v_proj", bias: true), o: try LinearLayer(graph, lp + "self_attn.out_proj", bias: true),
                fc1: try LinearLayer(graph, lp + "mlp.fc1", bias: true), fc2: try LinearLayer(graph, lp + "mlp.fc2", bias: true))
        }
    }

    /// Tokens per crop including CLS.
    var sequenceLength: Int { config.patchCount + 1 }

    /// Runs `crops` images (each `[3 × S × S]`, normalised) and returns the feature-layer states
    /// `[crops × (patches + 1) × C]`, CLS first in each crop.
    public func hiddenStates(pixels: UnsafePointer<Float>, crops: Int) -> FloatBuffer {
        let c = config.hiddenSize, s = sequenceLength
        let h = FloatBuffer(count: crops * s * c)
        embed(pixels: pixels, crops: crops, into: h.pointer)
        Normalization.layerNorm(h.pointer, rows: crops * s, width: c, weight: preNorm.weight, bias: preNorm.bias, eps: config.layerNormEps)
        for layer in layers { run(layer, h.pointer, crops: crops) }
        return h
    }

    /// Patch embedding + CLS + positions into `out` `[crops × s × C]`.
    private func embed(pixels: UnsafePointer<Float>, crops: Int, into out: UnsafeMutablePointer<Float>) {
        let c = config.hiddenSize, s = sequenceLength, p = config.patchSize, g = config.gridSide, side = config.imageSize
        let k = 3 * p * p
        let columns = FloatBuffer(count: config.patchCount * k)
        for crop in 0..<crops {
            let img = pixels + crop * 3 * side * side
            // im2col in (channel, row, col) order, matching the conv weight's flattening.
            Parallel.forEach(config.patchCount) { t in
                let r = t / g, col = t % g
                let dst = columns.pointer + t * k
                var idx = 0
                for ch in 0..<3 {
                    for y in 0..<p {
                        let src = img + ch * side * side + (r * p + y) * side + col * p
                        for x in 0..<p { dst[idx] = src[x]; idx += 1 }
                    }
                }
            }
            let base = out + crop * s * c
            patchWeight.apply(columns.pointer, count: config.patchCount, into: base + c)
            for j in 0..<c { base[j] = classEmbedding[j] }
            for t in 0..<s {
                let row = base + t * c
                for j in 0..<c { row[j] += positionEmbedding[t * c + j] }
            }
        }
    }

    private func run(_ layer: Layer, _ h: UnsafeMutablePointer<Float>, crops: Int) {
        let c = config.hiddenSize, s = sequenceLength, rows = crops * s
        let a = FloatBuffer(count: rows * c)
        a.pointer.update(from: h, count: rows * c)
        Normalization.layerNorm(a.pointer, rows: rows, width: c, weight: layer.norm1.weight, bias: layer.norm1.bias, eps: config.layerNormEps)
        let q = layer.q(a.pointer, count: rows), k = layer.k(a.pointer, count: rows), v = layer.v(a.pointer, count: rows)
        let attn = FloatBuffer(count: rows * c)
        let scale = 1 / Float(config.headDim).squareRoot()
        for crop in 0..<crops {
            let off = crop * s * c
            Attention.selfAttention(q: q.pointer + off, k: k.pointer + off, v: v.pointer + off, out: attn.pointer + off,
                                    length: s, heads: config.headCount, kvHeads: config.headCount, headDim: config.headDim,
                                    scale: scale, causal: false)
        }
        let o = layer.o(attn.pointer, count: rows)
        for i in 0..<(rows * c) { h[i] += o.pointer[i] }
        a.pointer.update(from: h, count: rows * c)
        Normalization.layerNorm(a.pointer, rows: rows, width: c, weight: layer.norm2.weight, bias: layer.norm2.bias, eps: config.layerNormEps)
        let f1 = layer.fc1(a.pointer, count: rows)
        Activations.quickGELU(f1.pointer, count: rows * layer.fc1.outputs)
        let f2 = layer.fc2(f1.pointer, count: rows)
        for i in 0..<(rows * c) { h[i] += f2.pointer[i] }
    }
}
