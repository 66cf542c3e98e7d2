import Kernels
import ModelGraph

/// The pre-norm decoder both language models share (Phi-3 and Mistral): RMSNorm → attention with
/// RoPE (GQA allowed) → residual → RMSNorm → SwiGLU MLP → residual, then the final RMSNorm.
///
/// Projections are given as lists that write side by side into one buffer, so Phi-3's fused
/// `qkv_proj`/`gate_up_proj` and Mistral's separate `q/k/v` and `gate/up` run the same code.
public struct TransformerDecoder: Sendable {
    public let config: DecoderConfig
    let embedTokens: WeightMatrix
    let layers: [Layer]
    let finalNorm: [Float]

    struct Layer: Sendable {
        let inputNorm: [Float]
        /// Written side by side into `[L × (heads + 2·kvHeads)·headDim]`: Q then K then V.
        let qkv: [LinearLayer]
        let o: LinearLayer
        let postNorm: [Float]
        /// Written side by side into `[L × 2·intermediate]`: gate then up.
        let gateUp: [LinearLayer]
        let down: LinearLayer
    }

    /// Binds the decoder of `graph`; `fused` selects Phi-3's `qkv_proj`/`gate_up_proj` names.
    public init(graph: ModelGraph, fused: Bool) throws {
        config = graph.config.decoder
        embedTokens = try graph.matrix("decoder.embed_tokens.weight")
        finalNorm = try graph.floats("decoder.norm.weight")
        layers = try (0..<config.layerCount).map { l in
            let p = "decoder.layers.\(l)."
            return Layer(
                inputNorm: try graph.floats(p + "input_layernorm.weight"),
                qkv: fused ? [try LinearLayer(graph, p + "self_attn.qkv_proj", bias: false)]
                    : try ["q_proj", "k_proj", "v_proj"].map { try LinearLayer(graph, p + "self_attn." + $0, bias: false) },
                o: try LinearLayer(graph, p + "self_attn.o_proj", bias: false),
                postNorm: try graph.floats(p + "post_attention_layernorm.weight"),
                gateUp: fused ? [try LinearLayer(graph, p + "mlp.gate_up_proj", bias: false)]
                    : try ["gate_proj", "up_proj"].map { try LinearLayer(graph, p + "mlp." + $0, bias: false) },
                down: try LinearLayer(graph, p + "mlp.down_proj", bias: false))
        }
    }

    /// Token embeddings `[ids.count × H]`; ids outside [0, vocab) (image slots) get row 0, as upstream's clamp does for negatives.
    public func embed(_ ids: [Int]) -> FloatBuffer {
        let h = config.hiddenSize
        let out = FloatBuffer(count: ids.count * h)
        for (i, id) in ids.enumerated() {
            let row = min(max(id, 0), config.vocabSize - 1)
            embedTokens.widenRows(row..<(row + 1), into: out.pointer + i * h)
        }
        return out
    }

    /// The first position outside `slots` whose id is negative or not below the vocabulary size,
    /// with its id: such an id is an error, never clamped to a row.
    func outOfVocabulary(_ ids: [Int], slots: [Int]) -> (Int, Int)? {
        let v = config.vocabSize
        guard let p = ids.indices.first(where: { ids[$0] < 0 || ids[$0] >= v }) else { return nil }
        if slots.isEmpty { return (p, ids[p]) }
        let slotSet = Set(slots)
        return ids.indices.first { (ids[$0] < 0 || ids[$0] >= v) && !slotSet.contains($0) }.map { ($0, ids[$0]) }
    }

    /// Embeds `ids`, overwrites the image-slot positions (in order) with `features()` when the request
    /// has images or slots, records `inputs_embeds`, and runs the decoder: the splice both
    /// compositions share (upstream's masked_scatter / negative-id fill).
    func spliceAndRun(_ ids: [Int], slots: [Int], hasImages: Bool, rows: DecoderRows, trace: Trace,
                      features: () throws -> [Float]) throws -> FloatBuffer {
        let h = config.hiddenSize
        if let (position, id) = outOfVocabulary(ids, slots: slots) {
            throw ModelError("token id \(id) at position \(position) is outside the model's \(config.vocabSize)-token vocabulary (tokenizer and model disagree)")
        }
        let x = embed(ids)
        if hasImages || !slots.isEmpty {
            let f = try features()
            guard f.count == slots.count * h else {
                throw ModelError("prompt has \(slots.count) image slots but its images give \(f.count / h) feature tokens")
            }
            for (k, pos) in slots.enumerated() {
                for j in 0..<h { x.pointer[pos * h + j] = f[k * h + j] }
            }
        }
        trace.record("inputs_embeds", shape: [1, ids.count, h], x.pointer)
        return run(x, length: ids.count, rows: rows, trace: trace)
    }

    /// Runs every layer over `x` `[L × H]` in place, then the final norm; returns the final-norm
    /// states: `[L × H]` for `.all`; for `.last`, `[1 × H]`, the last row only — the last layer then
    /// runs its attention output, MLP and norm for that row alone (its keys and values still come
    /// from every row), which is all last-token pooling reads. A trace always gets every row.
    /// Position p of the row uses RoPE position p; the LongRoPE factor list is chosen from L itself.
    public func run(_ x: FloatBuffer, length: Int, rows: DecoderRows = .all, trace: Trace) -> FloatBuffer {
        let c = config, h = c.hiddenSize
        let lastOnly = rows == .last && !trace.isEnabled
        let qWidth = c.headCount * c.headDim, kvWidth = c.kvHeadCount * c.headDim
        let qkvWidth = qWidth + 2 * kvWidth
        let rope = RotaryEmbedding(headDim: c.headDim, positions: max(length, 1), base: c.ropeTheta,
                                   factors: c.ropeFactors(forLength: length), scale: c.ropeAttentionScale)
        let a = FloatBuffer(count: length * h)
        let qkv = FloatBuffer(count: length * qkvWidth)
        let q = FloatBuffer(count: length * qWidth), k = FloatBuffer(count: length * kvWidth), v = FloatBuffer(count: length * kvWidth)
        let attn = FloatBuffer(count: length * qWidth)
        let gu = FloatBuffer(count: length * 2 * c.intermediateSize)
        let act = FloatBuffer(count: length * c.intermediateSize)
        let scale = 1 / Float(c.headDim).squareRoot()
        for (index, layer) in layers.enumerated() {
            a.pointer.update(from: x.pointer, count: length * h)
            Normalization.rmsNorm(a.pointer, rows: length, width: h, weight: layer.inputNorm, eps: c.rmsNormEps)
            var col = 0
            for proj in layer.qkv { proj.apply(a.pointer, count: length, into: qkv.pointer + col, ldy: qkvWidth); col += proj.outputs }
            rope.apply(qkv.pointer, rows: length, stride: qkvWidth, heads: c.headCount)
            rope.apply(qkv.pointer + qWidth, rows: length, stride: qkvWidth, heads: c.kvHeadCount)
            for r in 0..<length {
                let src = qkv.pointer + r * qkvWidth
                (q.pointer + r * qWidth).update(from: src, count: qWidth)
                (k.pointer + r * kvWidth).update(from: src + qWidth, count: kvWidth)
                (v.pointer + r * kvWidth).update(from: src + qWidth + kvWidth, count: kvWidth)
            }
            // From here on, the last layer of a last-row run works on row L−1 only.
            let first = lastOnly && index == layers.count - 1 ? length - 1 : 0
            let n = length - first
            if first > 0 {
                Attention.lastQuery(q: q.pointer + first * qWidth, k: k.pointer, v: v.pointer, out: attn.pointer, length: length,
                                    heads: c.headCount, kvHeads: c.kvHeadCount, headDim: c.headDim, scale: scale)
            } else {
                Attention.selfAttention(q: q.pointer, k: k.pointer, v: v.pointer, out: attn.pointer, length: length,
                                        heads: c.headCount, kvHeads: c.kvHeadCount, headDim: c.headDim, scale: scale, causal: true)
            }
            let xs = x.pointer + first * h
            layer.o.apply(attn.pointer, count: n, into: a.pointer)
            for i in 0..<(n * h) { xs[i] += a.pointer[i] }

            a.pointer.update(from: xs, count: n * h)
            Normalization.rmsNorm(a.pointer, rows: n, width: h, weight: layer.postNorm, eps: c.rmsNormEps)
            let width = 2 * c.intermediateSize
            col = 0
            for proj in layer.gateUp { proj.apply(a.pointer, count: n, into: gu.pointer + col, ldy: width); col += proj.outputs }
            for r in 0..<n {
                let row = gu.pointer + r * width
                Activations.siluMultiply(gate: row, up: row + c.intermediateSize, out: act.pointer + r * c.intermediateSize, count: c.intermediateSize)
            }
            layer.down.apply(act.pointer, count: n, into: a.pointer)
            for i in 0..<(n * h) { xs[i] += a.pointer[i] }
            trace.record("layer_output.\(index)", shape: [1, length, h], x.pointer)
        }
        let rowsOut = lastOnly ? 1 : length
        let y = FloatBuffer(count: rowsOut * h)
        y.pointer.update(from: x.pointer + (length - rowsOut) * h, count: rowsOut * h)
        Normalization.rmsNorm(y.pointer, rows: rowsOut, width: h, weight: finalNorm, eps: c.rmsNormEps)
        trace.record("final_norm", shape: [1, length, h], y.pointer)
        return y
    }
}

/// Which final-norm rows a decoder run returns.
public enum DecoderRows: Sendable {
    /// Every position `[L × H]`.
    case all
    /// The last position only `[1 × H]` (last-token pooling).
    case last
}
