import CKernels
#if canImport(Glibc)
import Glibc
#endif

/// Scaled dot-product attention for one sequence, with grouped K/V heads and an optional
/// causal mask. Softmax is in fp32 over the allowed keys (masked keys get weight 0, as
/// upstream's finfo.min additive mask gives after exp).
///
/// On the `avx2` kernel path (and `avx512`, which runs the same kernel) it is blocked (`vlm_attention_rows_avx2`): an online softmax over
/// 64-key blocks, so no `length × length` score matrix exists (scratch is O(threads · block)),
/// and under the causal mask blocks above the diagonal are skipped. On `generic`, each head's
/// scores are one OpenBLAS sgemm, a row softmax and a second sgemm.
public enum Attention {
    /// - Parameters:
    ///   - q: `[length × heads·headDim]`, k and v: `[length × kvHeads·headDim]`, row-major.
    ///   - out: `[length × heads·headDim]`.
    public static func selfAttention(
        q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
        length: Int, heads: Int, kvHeads: Int, headDim: Int, scale: Float, causal: Bool
    ) {
        precondition(heads % kvHeads == 0, "heads must be a multiple of kvHeads")
        guard length > 0, heads > 0, headDim > 0 else { return }
        if KernelISA.active.runsAVX2Kernels {
            blocked(q: q, k: k, v: v, out: out, length: length, heads: heads, kvHeads: kvHeads, headDim: headDim,
                    scale: scale, causal: causal)
            return
        }
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

    /// The `avx2` path: work items of (head, span of up to VLM_ATTN_SPAN query rows), claimed by
    /// the threads; under the mask the last spans (which see the most keys) go first.
    static func blocked(
        q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
        length: Int, heads: Int, kvHeads: Int, headDim: Int, scale: Float, causal: Bool
    ) {
        let group = heads / kvHeads, qStride = heads * headDim, kvStride = kvHeads * headDim
        let span = Int(VLM_ATTN_SPAN)
        let spans = (length + span - 1) / span
        let scratchBytes = Int(vlm_attention_scratch_bytes(Int64(headDim)))
        let qp = UncheckedSendable(q), kp = UncheckedSendable(k), vp = UncheckedSendable(v), op = UncheckedSendable(out)
        Parallel.forEachClaimed(heads * spans, state: { FloatBuffer(count: (scratchBytes + 3) / 4) }) { scratch, item in
            let h = item % heads, s = causal ? spans - 1 - item / heads : item / heads
            let first = s * span, kh = h / group
            vlm_attention_rows_avx2(qp.value + h * headDim, Int64(qStride), kp.value + kh * headDim, vp.value + kh * headDim,
                                    Int64(kvStride), op.value + h * headDim, Int64(qStride), Int64(first),
                                    Int64(min(span, length - first)), Int64(length), Int64(headDim), scale,
                                    causal ? 1 : 0, UnsafeMutableRawPointer(scratch.pointer))
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
