/// y = x·Wᵀ for a few input rows straight from ggml Q8_0 / Q4_0 blocks; no fp32 copy of the
/// weight is made, output rows are split over threads.
///
/// A block's 16 code bytes are loaded as four 32-bit lanes; byte m of every lane (a shift and a
/// mask) gives the codes of columns 4k + m, k = 0..<4, which become exact floats by the
/// 2²³ trick: the bits 0x4B000000 | u are the float 2²³ + u, and subtracting 2²³ + 8 (Q4_0
/// nibbles) or 2²³ + 128 (Q8_0 codes with their sign bit flipped) leaves the code exactly.
/// Only plain integer and float vector operations are involved (no conversions between vector
/// types, which the compiler may leave as out-of-line calls), and each input row is copied
/// once into that lane order (`deinterleave`). Per block the products are summed in two 4-lane
/// accumulators, scaled once by d, and added to a running 4-lane total. The products are those
/// of the widening path; only the summation order differs.
enum GGMLDirectProduct {
    /// Whether the kernel runs on this host (it reads code bytes through 32-bit lanes).
    static var isAvailable: Bool {
        #if _endian(little)
        return true
        #else
        return false
        #endif
    }

    /// y[i·ldy + r] = Σⱼ x[i·columns + j] · W[r, j] for i < n, r < rows.
    static func apply(_ w: GGMLBlockRows, rows: Int, _ x: UnsafePointer<Float>, count n: Int,
                      into y: UnsafeMutablePointer<Float>, ldy: Int) {
        let columns = w.blocksPerRow * GGMLBlockRows.blockColumns
        let inputs = UnsafeMutablePointer<Float>.allocate(capacity: max(n * columns, 1))
        defer { inputs.deallocate() }
        for i in 0..<n { deinterleave(x + i * columns, columns: columns, into: inputs + i * columns) }
        let xs = UnsafePointer(inputs)
        DirectProductRows.run(rows: rows, inputs: n, columns: columns, xs, into: y, ldy: ldy,
                              one: { r, a in dot1(w, r, a) }, two: { r, a, b in dot2(w, r, a, b) })
    }

    /// Copies an input row (a multiple of 32 columns) in the kernel's lane order: within each
    /// block, for half p = 0, 1 and byte m = 0..<4, the four columns 16p + 4k + m, k = 0..<4.
    static func deinterleave(_ x: UnsafePointer<Float>, columns: Int, into out: UnsafeMutablePointer<Float>) {
        for b in stride(from: 0, to: columns, by: GGMLBlockRows.blockColumns) {
            for p in 0..<2 {
                for m in 0..<4 {
                    for k in 0..<4 { out[b + 16 * p + 4 * m + k] = x[b + 16 * p + 4 * k + m] }
                }
            }
        }
    }

    @inline(__always)
    static func load4(_ p: UnsafeRawPointer, _ byteOffset: Int) -> SIMD4<Float> {
        p.loadUnaligned(fromByteOffset: byteOffset, as: SIMD4<Float>.self)
    }

    /// Codes below 2²³ in 32-bit lanes → the floats 2²³ + code.
    @inline(__always)
    static func biased(_ u: SIMD4<UInt32>) -> SIMD4<Float> {
        unsafeBitCast(u | 0x4B00_0000, to: SIMD4<Float>.self)
    }

    /// The block's codes of half p (columns 16p..<16p + 16) in lane order, each code in the low
    /// bits of a 32-bit lane: (bytes m = 0, 1, 2, 3 of the four lanes), before the bias.
    @inline(__always)
    static func codeLanes(_ block: UnsafeRawPointer, _ layout: GGMLBlockRows.Layout, half p: Int) -> SIMD4<UInt32> {
        switch layout {
        case .q8_0:
            // Flipping the sign bit maps int8 q to the byte q + 128.
            return block.loadUnaligned(fromByteOffset: 2 + 16 * p, as: SIMD4<UInt32>.self) ^ 0x8080_8080
        case .q4_0:
            let bytes = block.loadUnaligned(fromByteOffset: 2, as: SIMD4<UInt32>.self)
            return (p == 0 ? bytes : bytes &>> 4) & 0x0F0F_0F0F
        }
    }

    /// 2²³ + the code offset (8 for Q4_0 nibbles, 128 for sign-flipped Q8_0 bytes).
    @inline(__always)
    static func bias(_ layout: GGMLBlockRows.Layout) -> SIMD4<Float> {
        SIMD4<Float>(repeating: layout == .q8_0 ? 8_388_736 : 8_388_616)
    }

    /// Σⱼ x[j]·W[r, j], x in lane order.
    static func dot1(_ w: GGMLBlockRows, _ r: Int, _ x: UnsafePointer<Float>) -> Float {
        let layout = w.layout, stride = w.blockBytes, off = bias(layout)
        let byte = SIMD4<UInt32>(repeating: 0xFF)
        let xr = UnsafeRawPointer(x)
        var block = w.row(r)
        var total = SIMD4<Float>()
        for b in 0..<w.blocksPerRow {
            let d = GGMLBlockRows.scale(block)
            var a0 = SIMD4<Float>(), a1 = SIMD4<Float>()
            for p in 0..<2 {
                let v = codeLanes(block, layout, half: p), at = 128 * b + 64 * p
                a0 += (biased(v & byte) - off) * load4(xr, at)
                a1 += (biased(v &>> 8 & byte) - off) * load4(xr, at + 16)
                a0 += (biased(v &>> 16 & byte) - off) * load4(xr, at + 32)
                a1 += (biased(v &>> 24) - off) * load4(xr, at + 48)
            }
            total += (a0 + a1) * d
            block += stride
        }
        return total.sum()
    }

    /// (Σⱼ x0[j]·W[r, j], Σⱼ x1[j]·W[r, j]), x0 and x1 in lane order, each block decoded once.
    static func dot2(_ w: GGMLBlockRows, _ r: Int, _ x0: UnsafePointer<Float>, _ x1: UnsafePointer<Float>) -> (Float, Float) {
        let layout = w.layout, stride = w.blockBytes, off = bias(layout)
        let byte = SIMD4<UInt32>(repeating: 0xFF)
        let p0 = UnsafeRawPointer(x0), p1 = UnsafeRawPointer(x1)
        var block = w.row(r)
        var t0 = SIMD4<Float>(), t1 = SIMD4<Float>()
        for b in 0..<w.blocksPerRow {
            let d = GGMLBlockRows.scale(block)
            var a0 = SIMD4<Float>(), a1 = SIMD4<Float>(), c0 = SIMD4<Float>(), c1 = SIMD4<Float>()
            for p in 0..<2 {
                let v = codeLanes(block, layout, half: p), at = 128 * b + 64 * p
                let q0 = biased(v & byte) - off, q1 = biased(v &>> 8 & byte) - off
                let q2 = biased(v &>> 16 & byte) - off, q3 = biased(v &>> 24) - off
                a0 += q0 * load4(p0, at) + q2 * load4(p0, at + 32)
                a1 += q1 * load4(p0, at + 16) + q3 * load4(p0, at + 48)
                c0 += q0 * load4(p1, at) + q2 * load4(p1, at + 32)
                c1 += q1 * load4(p1, at + 16) + q3 * load4(p1, at + 48)
            }
            t0 += (a0 + a1) * d
            t1 += (c0 + c1) * d
            block += stride
        }
        return (t0.sum(), t1.sum())
    }
}
