#if canImport(Glibc)
import Glibc
#endif

/// Scaled dot-product attention for one sequence, with grouped K/V heads and an optional
/// causal mask. Softmax is in fp32 over the allowed keys (masked keys get weight 0, as
/// upstream's finfo.min additive mask gives after exp).
public enum Attention {
    /// - Parameters:
    ///   - q: `[length × heads·headDim]`, k and v: `[length × kvHeads·headDim]`, row-major.
    ///   - out: `[length × heads·headDim]`.
    public static func selfAttention(
        q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
        length: Int, heads: Int, kvHeads: Int, headDim: Int, scale: Float, causal: Bool
    ) {
        precondition(heads % kvHeads == 0, "heads must be a multiple of kvHeads")
        let group = heads / kvHeads
        let qStride = heads * headDim
        let kvStride = kvHeads * headDim
        let scores = UnsafeMutablePointer<Float>.allocate(capacity: max(1, length * length))
        defer { scores.deallocate() }
        for h in 0..<heads {
            let kh = h / group
            BLAS.sgemm(.no, .yes, m: length, n: length, k: headDim, alpha: scale,
                       a: q + h * headDim, lda: qStride, b: k + kh * headDim, ldb: kvStride, c: scores, ldc: length)
            softmaxRows(scores, rows: length, width: length, causal: causal)
            BLAS.sgemm(.no, .no, m: length, n: headDim, k: length,
                       a: scores, lda: length, b: v + kh * headDim, ldb: kvStride, c: out + h * headDim, ldc: qStride)
        }
    }

    /// Row-wise softmax in place; with `causal`, row i keeps columns 0...i and zeroes the rest.
    public static func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, causal: Bool) {
        Parallel.forEach(rows) { i in
            let row = x + i * width
            let n = causal ? min(i + 1, width) : width
            var m = -Float.infinity
            for j in 0..<n { m = max(m, row[j]) }
            var sum: Float = 0
            for j in 0..<n { let e = expf(row[j] - m); row[j] = e; sum += e }
            let inv = 1 / sum
            for j in 0..<n { row[j] *= inv }
            for j in n..<width { row[j] = 0 }
        }
    }
}
