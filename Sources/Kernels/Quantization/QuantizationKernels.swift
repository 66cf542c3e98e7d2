/// Vectorized int8 and int4 row quantizers: the pinned formulas of `QuantizationFormulas`, byte for
/// byte, four lanes at a time (SIMD4 is what the baseline x86-64 build lowers to single SSE
/// instructions). Rows or groups they cannot take (int8 rows whose length is not a multiple of 16,
/// int4 rows or groups not a multiple of 32, scales that are zero, subnormal or infinite, and NaN
/// or infinite weights) go to the scalar formulas.
///
/// Where a scale s = fl(m / k) is a normal float (m = max |w|, k = 127 or 7), every quotient
/// satisfies |w / s| ≤ k·(1 + 2⁻²³) < k + ½, so rounding alone lands in -k...k and the clamp of
/// the pinned formula is a no-op: the symmetric kernels skip it. Codes come from the 1.5·2²³
/// bit trick (`QuantizationFormulas.roundedCodeBits`), with no float-to-integer conversion.
enum QuantizationKernels {
    typealias F4 = SIMD4<Float>
    typealias U4 = SIMD4<UInt32>

    /// 1.5·2²³: adding it rounds |t| < 2²² to an integer, ties to even, in the low mantissa bits.
    static let magic: Float = 12_582_912
    static let magicBits: UInt32 = 0x4B40_0000

    /// The symmetric scale max|w| / `levels` of `count` values (max|w| folded into `stats`), or nil
    /// when the vector kernels cannot take them: a non-finite value (noted in `stats`) or a scale
    /// that is zero, subnormal or infinite. Then the scalar formula handles them.
    @inline(__always)
    static func symmetricScale(_ raw: UnsafeRawPointer, count: Int, levels: Float, stats: inout QuantizationStats) -> Float? {
        let (lo, hi, sum) = range(raw, count: count, start: 0)
        let m = -lo > hi ? -lo : hi
        stats.maxMagnitude = m > stats.maxMagnitude ? m : stats.maxMagnitude
        let scale = m / levels
        guard sum.isFinite, isNormal(scale) else {
            if !sum.isFinite { stats.mayBeNonFinite = true }
            return nil
        }
        return scale
    }

    // MARK: - int8

    /// int8, one row; the same bytes and scale as `QuantizationFormulas.int8Row`, plus statistics.
    static func int8Row(_ w: UnsafePointer<Float>, columns: Int, codes: UnsafeMutablePointer<Int8>, stats: inout QuantizationStats) -> Float {
        guard columns % 16 == 0, columns > 0 else {
            stats.merge(.scan(w, columns))
            return QuantizationFormulas.int8Row(w, columns: columns, codes: codes)
        }
        let raw = UnsafeRawPointer(w)
        guard let scale = symmetricScale(raw, count: columns, levels: 127, stats: &stats) else {
            return QuantizationFormulas.int8Row(w, columns: columns, codes: codes)
        }
        let d = F4(repeating: scale)
        var j = 0
        while j < columns {
            let p = raw + 4 &* j
            let a = codeBits(p.loadUnaligned(as: F4.self), d)
            let b = codeBits(p.loadUnaligned(fromByteOffset: 16, as: F4.self), d)
            let c = codeBits(p.loadUnaligned(fromByteOffset: 32, as: F4.self), d)
            let e = codeBits(p.loadUnaligned(fromByteOffset: 48, as: F4.self), d)
            storeBytes(a, b, c, e, to: codes + j)
            j &+= 16
        }
        return scale
    }

    // MARK: - int4

    /// int4, one row; the same bytes as `QuantizationFormulas.int4Row`, plus statistics.
    static func int4Row(_ w: UnsafePointer<Float>, columns: Int, group: Int, packed: UnsafeMutablePointer<UInt8>,
                        scales: UnsafeMutableRawPointer, zeros: UnsafeMutablePointer<UInt8>?, stats: inout QuantizationStats) {
        guard columns % 32 == 0, group % 32 == 0, columns > 0 else {
            stats.merge(.scan(w, columns))
            QuantizationFormulas.int4Row(w, columns: columns, group: group, packed: packed, scales: scales, zeros: zeros)
            return
        }
        var g = 0
        var c0 = 0
        if zeros == nil {
            // Four whole groups at a time: their reductions and scales share vector instructions.
            while c0 + 4 * group <= columns {
                fourSymmetricGroups(w + c0, group: group, packed: packed + c0 / 2, scales: scales + 2 * g, stats: &stats)
                g &+= 4
                c0 &+= 4 * group
            }
        }
        while c0 < columns {
            let n = min(group, columns - c0)
            if let zeros {
                asymmetricGroup(w + c0, count: n, packed: packed + c0 / 2, scale: scales + 2 * g, zero: zeros + g, stats: &stats)
            } else {
                symmetricGroup(w + c0, count: n, packed: packed + c0 / 2, scale: scales + 2 * g, stats: &stats)
            }
            g &+= 1
            c0 &+= n
        }
    }

    /// Four consecutive symmetric groups of `group` (a multiple of 32) columns.
    @inline(__always)
    static func fourSymmetricGroups(_ w: UnsafePointer<Float>, group: Int, packed: UnsafeMutablePointer<UInt8>,
                                    scales: UnsafeMutableRawPointer, stats: inout QuantizationStats) {
        let raw = UnsafeRawPointer(w)
        let r0 = rangeLanes(raw, count: group, start: 0), r1 = rangeLanes(raw + 4 * group, count: group, start: 0)
        let r2 = rangeLanes(raw + 8 * group, count: group, start: 0), r3 = rangeLanes(raw + 12 * group, count: group, start: 0)
        // Lane g: group g's min, max and sum.
        let lo = across(r0.lo, r1.lo, r2.lo, r3.lo, vmin), hi = across(r0.hi, r1.hi, r2.hi, r3.hi, vmax)
        let sum = across(r0.sum, r1.sum, r2.sum, r3.sum, +)
        let m = vmax(hi, -lo)
        let scale = m / 7
        stats.maxMagnitude = max(stats.maxMagnitude, horizontalMax(m))
        let bias = U4(repeating: 8 | 8 << 4)
        for k in 0..<4 {
            let s = scale[k]
            let wk = w + k * group, pk = packed + k * (group / 2), out = scales + 2 * k
            guard sum[k].isFinite, isNormal(s) else {
                if !sum[k].isFinite { stats.mayBeNonFinite = true }
                QuantizationFormulas.int4Row(wk, columns: group, group: group, packed: pk, scales: out, zeros: nil)
                continue
            }
            out.storeBytes(of: halfBits(s).littleEndian, as: UInt16.self)
            let d = F4(repeating: s)
            let rk = UnsafeRawPointer(wk)
            var j = 0
            while j < group {
                let p = rk + 4 &* j
                storeBytes(nibblePairs(p, 0, d) &+ bias, nibblePairs(p, 32, d) &+ bias,
                           nibblePairs(p, 64, d) &+ bias, nibblePairs(p, 96, d) &+ bias, to: pk + j / 2)
                j &+= 32
            }
        }
    }

    /// One symmetric group of `count` (a multiple of 32) columns starting at an even column.
    @inline(__always)
    static func symmetricGroup(_ w: UnsafePointer<Float>, count: Int, packed: UnsafeMutablePointer<UInt8>,
                               scale out: UnsafeMutableRawPointer, stats: inout QuantizationStats) {
        let raw = UnsafeRawPointer(w)
        guard let scale = symmetricScale(raw, count: count, levels: 7, stats: &stats) else {
            QuantizationFormulas.int4Row(w, columns: count, group: count, packed: packed, scales: out, zeros: nil)
            return
        }
        out.storeBytes(of: halfBits(scale).littleEndian, as: UInt16.self)
        // nibble = q + 8, q in -7...7 (no NaN here: the sum is finite).
        let d = F4(repeating: scale), bias = U4(repeating: 8 | 8 << 4)
        var j = 0
        while j < count {
            let p = raw + 4 &* j
            let b0 = nibblePairs(p, 0, d) &+ bias
            let b1 = nibblePairs(p, 32, d) &+ bias
            let b2 = nibblePairs(p, 64, d) &+ bias
            let b3 = nibblePairs(p, 96, d) &+ bias
            storeBytes(b0, b1, b2, b3, to: packed + j / 2)
            j &+= 32
        }
    }

    /// One asymmetric group of `count` (a multiple of 32) columns starting at an even column.
    @inline(__always)
    static func asymmetricGroup(_ w: UnsafePointer<Float>, count: Int, packed: UnsafeMutablePointer<UInt8>,
                                scale out: UnsafeMutableRawPointer, zero: UnsafeMutablePointer<UInt8>, stats: inout QuantizationStats) {
        let raw = UnsafeRawPointer(w)
        // min and max as the scalar loop finds them: starting from w[0], NaN never replaces.
        let (mn, mx, sum) = range(raw, count: count, start: w[0])
        stats.minimum = mn < stats.minimum ? mn : stats.minimum
        stats.maximum = mx > stats.maximum ? mx : stats.maximum
        let magnitude = -mn > mx ? -mn : mx
        stats.maxMagnitude = magnitude > stats.maxMagnitude ? magnitude : stats.maxMagnitude
        let scale = (mx - mn) / 15
        guard sum.isFinite, isNormal(scale) else {
            if !(sum.isFinite && mn.isFinite && mx.isFinite) { stats.mayBeNonFinite = true }
            QuantizationFormulas.int4Row(w, columns: count, group: count, packed: packed, scales: out, zeros: zero)
            return
        }
        let z = QuantizationFormulas.roundedCode(-mn / scale, lo: 0, hi: 15)
        zero.pointee = UInt8(z)
        out.storeBytes(of: halfBits(scale).littleEndian, as: UInt16.self)
        // nibble = q + z with q clamped to -z...15-z (rounding errors can step outside here).
        let d = F4(repeating: scale), lo = F4(repeating: -z), hi = F4(repeating: 15 - z)
        let bias = U4(repeating: UInt32(z) | UInt32(z) << 4)
        var j = 0
        while j < count {
            let p = raw + 4 &* j
            let b0 = clampedNibblePairs(p, 0, d, lo, hi) &+ bias
            let b1 = clampedNibblePairs(p, 32, d, lo, hi) &+ bias
            let b2 = clampedNibblePairs(p, 64, d, lo, hi) &+ bias
            let b3 = clampedNibblePairs(p, 96, d, lo, hi) &+ bias
            storeBytes(b0, b1, b2, b3, to: packed + j / 2)
            j &+= 32
        }
    }

    // MARK: - Lanes

    /// `range` before the lanes are reduced.
    @inline(__always)
    static func rangeLanes(_ raw: UnsafeRawPointer, count: Int, start: Float) -> (lo: F4, hi: F4, sum: F4) {
        var lo0 = F4(repeating: start), lo1 = lo0, hi0 = lo0, hi1 = lo0
        var s0 = F4(), s1 = F4()
        var j = 0
        while j < count {
            let p = raw + 4 &* j
            let a = p.loadUnaligned(as: F4.self), b = p.loadUnaligned(fromByteOffset: 16, as: F4.self)
            let c = p.loadUnaligned(fromByteOffset: 32, as: F4.self), e = p.loadUnaligned(fromByteOffset: 48, as: F4.self)
            lo0 = vmin(vmin(lo0, a), c); lo1 = vmin(vmin(lo1, b), e)
            hi0 = vmax(vmax(hi0, a), c); hi1 = vmax(vmax(hi1, b), e)
            s0 += a + c
            s1 += b + e
            j &+= 16
        }
        return (vmin(lo0, lo1), vmax(hi0, hi1), s0 + s1)
    }

    /// Lane k: `op` folded over the lanes of the k-th argument (a 4×4 transpose-and-reduce).
    @inline(__always)
    static func across(_ a: F4, _ b: F4, _ c: F4, _ d: F4, _ op: (F4, F4) -> F4) -> F4 {
        let ab = op(F4(a[0], a[1], b[0], b[1]), F4(a[2], a[3], b[2], b[3]))
        let cd = op(F4(c[0], c[1], d[0], d[1]), F4(c[2], c[3], d[2], d[3]))
        return op(F4(ab[0], ab[2], cd[0], cd[2]), F4(ab[1], ab[3], cd[1], cd[3]))
    }

    /// (min, max, Σ) over `count` (a multiple of 16) floats, the extremes starting from `start`
    /// (0, or the first value as the scalar asymmetric loop starts). NaN never becomes an extreme
    /// (as in the scalar `v < m ? v : m`) but makes the sum NaN; an infinity makes it infinite or
    /// NaN (so does a sum past the float range, which only sends the values to the exact paths).
    @inline(__always)
    static func range(_ raw: UnsafeRawPointer, count: Int, start: Float) -> (Float, Float, Float) {
        let r = rangeLanes(raw, count: count, start: start)
        return (horizontalMin(r.lo), horizontalMax(r.hi), horizontalSum(r.sum))
    }

    /// Normal and finite: the scales the vector paths take.
    @inline(__always)
    static func isNormal(_ s: Float) -> Bool { s >= .leastNormalMagnitude && s <= .greatestFiniteMagnitude }

    /// round(w / d) in two's complement (no clamp: see the type's note).
    @inline(__always)
    static func codeBits(_ w: F4, _ d: F4) -> U4 {
        unsafeBitCast(w / d + magic, to: U4.self) &- magicBits
    }

    /// round(clamp(w / d, lo, hi)) in two's complement, clamped as the scalar formula clamps
    /// (t < lo → lo, else t > hi → hi; NaN passes through).
    @inline(__always)
    static func clampedCodeBits(_ w: F4, _ d: F4, _ lo: F4, _ hi: F4) -> U4 {
        let c = vmax(vmin(w / d, hi), lo)
        return unsafeBitCast(c + magic, to: U4.self) &- magicBits
    }

    /// Codes of 8 columns at byte offset `o` as 4 byte values: even column + odd column · 16
    /// (two's complement codes, so adding the bias to each nibble afterwards is exact).
    @inline(__always)
    static func nibblePairs(_ p: UnsafeRawPointer, _ o: Int, _ d: F4) -> U4 {
        let a = p.loadUnaligned(fromByteOffset: o, as: F4.self), b = p.loadUnaligned(fromByteOffset: o + 16, as: F4.self)
        let even = codeBits(F4(a[0], a[2], b[0], b[2]), d), odd = codeBits(F4(a[1], a[3], b[1], b[3]), d)
        return even &+ (odd &<< 4)
    }

    /// `nibblePairs` with the clamp of the asymmetric formula.
    @inline(__always)
    static func clampedNibblePairs(_ p: UnsafeRawPointer, _ o: Int, _ d: F4, _ lo: F4, _ hi: F4) -> U4 {
        let a = p.loadUnaligned(fromByteOffset: o, as: F4.self), b = p.loadUnaligned(fromByteOffset: o + 16, as: F4.self)
        let even = clampedCodeBits(F4(a[0], a[2], b[0], b[2]), d, lo, hi), odd = clampedCodeBits(F4(a[1], a[3], b[1], b[3]), d, lo, hi)
        return even &+ (odd &<< 4)
    }

    /// Stores 16 byte values (low bytes of four lanes each, in order).
    @inline(__always)
    static func storeBytes(_ a: U4, _ b: U4, _ c: U4, _ e: U4, to out: UnsafeMutableRawPointer) {
        let n = SIMD16<UInt32>(lowHalf: SIMD8(lowHalf: a, highHalf: b), highHalf: SIMD8(lowHalf: c, highHalf: e))
        out.storeBytes(of: SIMD16<UInt8>(truncatingIfNeeded: n), as: SIMD16<UInt8>.self)
    }

    /// b > a ? b : a per lane: NaN in b never wins, NaN in a stays.
    @inline(__always)
    static func vmax(_ a: F4, _ b: F4) -> F4 { a.replacing(with: b, where: b .> a) }

    /// b < a ? b : a per lane: NaN in b never wins, NaN in a stays.
    @inline(__always)
    static func vmin(_ a: F4, _ b: F4) -> F4 { a.replacing(with: b, where: b .< a) }

    /// The largest lane (lanes are not NaN).
    @inline(__always)
    static func horizontalMax(_ v: F4) -> Float {
        let h = vmax(v, F4(v[2], v[3], v[0], v[1]))
        return h[1] > h[0] ? h[1] : h[0]
    }

    /// The smallest lane (lanes are not NaN).
    @inline(__always)
    static func horizontalMin(_ v: F4) -> Float {
        let h = vmin(v, F4(v[2], v[3], v[0], v[1]))
        return h[1] < h[0] ? h[1] : h[0]
    }

    @inline(__always)
    static func horizontalSum(_ v: F4) -> Float {
        let h = v + F4(v[2], v[3], v[0], v[1])
        return h[0] + h[1]
    }

    /// `HalfPrecision.fromFloat(s)` for a positive scale: inline where the result is a normal
    /// binary16 or infinity (2⁻¹⁴ ≤ s < 2¹⁶; round to nearest even by adding 0xFFF plus the kept
    /// lowest bit, a carry moving into the exponent as it should), the general codec elsewhere.
    @inline(__always)
    static func halfBits(_ s: Float) -> UInt16 {
        let b = s.bitPattern
        guard b >= 0x3880_0000 && b < 0x4780_0000 else { return halfBitsOutOfRange(s) }
        return UInt16(truncatingIfNeeded: ((b &+ 0x0FFF &+ ((b >> 13) & 1)) >> 13) &- (112 << 10))
    }

    @inline(never)
    static func halfBitsOutOfRange(_ s: Float) -> UInt16 { HalfPrecision.fromFloat(s) }
}
