/// y = x·W'ᵀ for a few input rows straight from int8/int4 codes: each weight row is decoded in
/// registers (8 values at a time) and multiplied into two input rows at a time (more
/// accumulators spill on SSE-only builds); output rows are split over threads. No fp32 copy of
/// the weight is made.
enum QuantizedDirectProduct {
    /// `WeightMatrix.apply` uses this kernel below this many input rows; from it on, widening a
    /// tile of rows and calling sgemm is faster. Measured single-threaded on a 3072×3072 weight
    /// (AVX2 EPYC, baseline x86-64 build): the direct kernel wins clearly at n = 1, breaks even
    /// at n = 2, and loses from n = 3 (sgemm's blocking amortises the widening).
    static let inputLimit = 3

    /// y[i·ldy + r] = Σⱼ x[i·columns + j] · W'[r, j] for i < n, r < rows.
    static func apply(_ w: QuantizedRows, rows: Int, _ x: UnsafePointer<Float>, count n: Int,
                      into y: UnsafeMutablePointer<Float>, ldy: Int) {
        let columns = w.columns
        var deinterleaved: UnsafeMutablePointer<Float>?
        if w.deinterleavesBlocks {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(n * columns, 1))
            for i in 0..<n { deinterleave(x + i * columns, columns: columns, into: p + i * columns) }
            deinterleaved = p
        }
        defer { deinterleaved?.deallocate() }
        let inputs = UnsafePointer(deinterleaved) ?? x

        DirectProductRows.run(rows: rows, inputs: n, columns: columns, inputs, into: y, ldy: ldy,
                              one: { r, a in dot1(w, r, a) }, two: { r, a, b in dot2(w, r, a, b) })
    }

    /// Copies an input row, each full block of 16 columns reordered as its 8 even columns then
    /// its 8 odd columns (the order of the low and high nibbles of 8 code bytes).
    static func deinterleave(_ x: UnsafePointer<Float>, columns: Int, into out: UnsafeMutablePointer<Float>) {
        let full = columns / 16 * 16
        for b in stride(from: 0, to: full, by: 16) {
            for k in 0..<8 {
                out[b + k] = x[b + 2 * k]
                out[b + 8 + k] = x[b + 2 * k + 1]
            }
        }
        for j in full..<columns { out[j] = x[j] }
    }

    @inline(__always)
    static func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    static func dot1(_ w: QuantizedRows, _ r: Int, _ x0: UnsafePointer<Float>) -> Float {
        var a0 = SIMD8<Float>()
        var t0: Float = 0
        w.forEachValue(row: r, { v, p in
            a0 += v * load8(x0 + p)
        }, { v, p in
            t0 += v * x0[p]
        })
        return a0.sum() + t0
    }

    static func dot2(_ w: QuantizedRows, _ r: Int, _ x0: UnsafePointer<Float>, _ x1: UnsafePointer<Float>) -> (Float, Float) {
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>()
        var t0: Float = 0, t1: Float = 0
        w.forEachValue(row: r, { v, p in
            a0 += v * load8(x0 + p)
            a1 += v * load8(x1 + p)
        }, { v, p in
            t0 += v * x0[p]
            t1 += v * x1[p]
        })
        return (a0.sum() + t0, a1.sum() + t1)
    }
}
