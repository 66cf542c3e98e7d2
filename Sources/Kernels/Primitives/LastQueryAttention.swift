#if canImport(Glibc)
import Glibc
#endif

extension Attention {
    /// Attention output of the last query row only (position `length − 1`, which under a causal
    /// mask sees every key): for each head, softmax(scale · q·Kᵀ) · V in fp32, heads split over
    /// threads. What a decoder's last layer needs when only the last token's state is pooled.
    /// - Parameters:
    ///   - q: the last row's queries `[heads·headDim]`; k and v: `[length × kvHeads·headDim]`.
    ///   - out: `[heads·headDim]`.
    public static func lastQuery(
        q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
        length: Int, heads: Int, kvHeads: Int, headDim: Int, scale: Float
    ) {
        precondition(heads % kvHeads == 0, "heads must be a multiple of kvHeads")
        precondition(length > 0, "attention needs at least one key")
        let group = heads / kvHeads, kvStride = kvHeads * headDim
        let qp = UncheckedSendable(q), kp = UncheckedSendable(k), vp = UncheckedSendable(v), op = UncheckedSendable(out)
        Parallel.forEach(heads) { h in
            let qh = qp.value + h * headDim, kh = h / group
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: length)
            defer { scores.deallocate() }
            var m = -Float.infinity
            for j in 0..<length {
                let key = kp.value + j * kvStride + kh * headDim
                var dot: Float = 0
                for d in 0..<headDim { dot += qh[d] * key[d] }
                scores[j] = dot * scale
                m = max(m, scores[j])
            }
            var sum: Float = 0
            for j in 0..<length { let e = expf(scores[j] - m); scores[j] = e; sum += e }
            let inv = 1 / sum
            let o = op.value + h * headDim
            for d in 0..<headDim { o[d] = 0 }
            for j in 0..<length {
                let p = scores[j] * inv, value = vp.value + j * kvStride + kh * headDim
                for d in 0..<headDim { o[d] += p * value[d] }
            }
        }
    }
}
