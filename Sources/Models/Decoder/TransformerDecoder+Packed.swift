import Kernels
import ModelGraph

/// Several sequences in one decoder pass: their rows stored back to back share the projections'
/// GEMMs (`WeightMatrix.apply(_:segments:into:ldy:bias:)`), while RoPE positions, LongRoPE factor
/// lists and attention stay per sequence. Every step makes, per sequence, the calls a solo
/// `run(_:length:rows: .last, trace: .disabled)` makes, so each result is bit-identical to it.
extension TransformerDecoder {
    /// Runs sequences of `lengths` (each ≥ 1) stored back to back in `x` (`[ΣL × H]` token
    /// embeddings, overwritten) and returns `[lengths.count × H]`: row i is the last row's
    /// final-norm state of sequence i, bit-identical to `run` over that sequence alone with
    /// `rows: .last` and no trace. As there, the last layer runs its attention output, MLP and
    /// norm for each sequence's last row only.
    public func runPacked(_ x: FloatBuffer, lengths: [Int]) -> FloatBuffer {
        precondition(lengths.allSatisfy { $0 > 0 }, "TransformerDecoder.runPacked: every sequence needs a token")
        let c = config, h = c.hiddenSize, count = lengths.count
        let total = lengths.reduce(0, +)
        precondition(x.count >= total * h, "TransformerDecoder.runPacked: x holds fewer rows than the lengths")
        let offsets = lengths.indices.map { lengths[..<$0].reduce(0, +) }
        let qWidth = c.headCount * c.headDim, kvWidth = c.kvHeadCount * c.headDim
        let qkvWidth = qWidth + 2 * kvWidth
        let ropes = packedRotaryTables(lengths)
        let a = FloatBuffer(count: total * h)
        let qkv = FloatBuffer(count: total * qkvWidth)
        let q = FloatBuffer(count: total * qWidth), k = FloatBuffer(count: total * kvWidth), v = FloatBuffer(count: total * kvWidth)
        let attn = FloatBuffer(count: total * qWidth)
        let gu = FloatBuffer(count: total * 2 * c.intermediateSize)
        let act = FloatBuffer(count: total * c.intermediateSize)
        // The last rows, gathered when the last layer starts (or at the end without layers).
        var last: FloatBuffer?
        let scale = 1 / Float(c.headDim).squareRoot()
        for (index, layer) in layers.enumerated() {
            a.pointer.update(from: x.pointer, count: total * h)
            Normalization.rmsNorm(a.pointer, rows: total, width: h, weight: layer.inputNorm, eps: c.rmsNormEps)
            var col = 0
            for proj in layer.qkv { proj.weight.apply(a.pointer, segments: lengths, into: qkv.pointer + col, ldy: qkvWidth, bias: proj.bias); col += proj.outputs }
            for (s, rope) in ropes.enumerated() {
                let rows = qkv.pointer + offsets[s] * qkvWidth
                rope.apply(rows, rows: lengths[s], stride: qkvWidth, heads: c.headCount)
                rope.apply(rows + qWidth, rows: lengths[s], stride: qkvWidth, heads: c.kvHeadCount)
            }
            for r in 0..<total {
                let src = qkv.pointer + r * qkvWidth
                (q.pointer + r * qWidth).update(from: src, count: qWidth)
                (k.pointer + r * kvWidth).update(from: src + qWidth, count: kvWidth)
                (v.pointer + r * kvWidth).update(from: src + qWidth + kvWidth, count: kvWidth)
            }
            // The last layer works on each sequence's last row only: `segments` rows per sequence.
            let lastLayer = index == layers.count - 1
            let segments = lastLayer ? [Int](repeating: 1, count: count) : lengths
            let n = lastLayer ? count : total
            for s in 0..<count {
                let o = offsets[s], length = lengths[s]
                let ks = k.pointer + o * kvWidth, vs = v.pointer + o * kvWidth
                if lastLayer && length > 1 {
                    Attention.lastQuery(q: q.pointer + (o + length - 1) * qWidth, k: ks, v: vs, out: attn.pointer + s * qWidth,
                                        length: length, heads: c.headCount, kvHeads: c.kvHeadCount, headDim: c.headDim, scale: scale)
                } else {
                    // A one-token sequence's last layer runs full attention over its one row, as `run` does.
                    Attention.selfAttention(q: q.pointer + o * qWidth, k: ks, v: vs, out: attn.pointer + (lastLayer ? s : o) * qWidth,
                                            length: length, heads: c.headCount, kvHeads: c.kvHeadCount, headDim: c.headDim,
                                            scale: scale, causal: true)
                }
            }
            if lastLayer { last = gatherLastRows(x, offsets: offsets, lengths: lengths) }
            let xs = last?.pointer ?? x.pointer
            layer.o.weight.apply(attn.pointer, segments: segments, into: a.pointer, bias: layer.o.bias)
            for i in 0..<(n * h) { xs[i] += a.pointer[i] }

            a.pointer.update(from: xs, count: n * h)
            Normalization.rmsNorm(a.pointer, rows: n, width: h, weight: layer.postNorm, eps: c.rmsNormEps)
            let width = 2 * c.intermediateSize
            col = 0
            for proj in layer.gateUp { proj.weight.apply(a.pointer, segments: segments, into: gu.pointer + col, ldy: width, bias: proj.bias); col += proj.outputs }
            for r in 0..<n {
                let row = gu.pointer + r * width
                Activations.siluMultiply(gate: row, up: row + c.intermediateSize, out: act.pointer + r * c.intermediateSize, count: c.intermediateSize)
            }
            layer.down.weight.apply(act.pointer, segments: segments, into: a.pointer, bias: layer.down.bias)
            for i in 0..<(n * h) { xs[i] += a.pointer[i] }
        }
        let y = last ?? gatherLastRows(x, offsets: offsets, lengths: lengths)
        Normalization.rmsNorm(y.pointer, rows: count, width: h, weight: finalNorm, eps: c.rmsNormEps)
        return y
    }

    /// One RoPE table per sequence, positions from 0: sequences whose lengths select the same
    /// factor list (`ropeFactors(forLength:)`) share a table as long as the longest of them
    /// (entries depend only on position and factors).
    func packedRotaryTables(_ lengths: [Int]) -> [RotaryEmbedding] {
        let c = config
        var tables: [(factors: [Float]?, table: RotaryEmbedding)] = []
        return lengths.map { length in
            let factors = c.ropeFactors(forLength: length)
            if let shared = tables.first(where: { $0.factors == factors }) { return shared.table }
            let longest = lengths.filter { c.ropeFactors(forLength: $0) == factors }.max() ?? length
            let table = RotaryEmbedding(headDim: c.headDim, positions: max(longest, 1), base: c.ropeTheta,
                                        factors: factors, scale: c.ropeAttentionScale)
            tables.append((factors, table))
            return table
        }
    }

    /// The last row of each sequence, `[lengths.count × H]`.
    private func gatherLastRows(_ x: FloatBuffer, offsets: [Int], lengths: [Int]) -> FloatBuffer {
        let h = config.hiddenSize
        let y = FloatBuffer(count: lengths.count * h)
        for s in lengths.indices { (y.pointer + s * h).update(from: x.pointer + (offsets[s] + lengths[s] - 1) * h, count: h) }
        return y
    }
}
