/// The `search` and `importance` int4 methods (`Int4Method`): for each group, try 21 candidate
/// scales, code the group with each, refit the scale to those codes by weighted least squares and
/// keep the candidate whose fit removes the most weighted squared error; then round the scale to
/// binary16 and recode every value to its nearest code under that stored scale.
///
/// The arithmetic is pinned (`Formats/vlmb.md` §3.3) so that a reader can reproduce the bytes:
/// candidate scales and codes in binary32 with true divisions and products, codes rounded half to
/// even and clamped after rounding, the two least-squares sums in binary64 accumulated in column
/// order, one product at a time (`w·x·l` as `(w·x)·l`), the refit scale `Float(A / B)`.
public enum SearchedScaleQuantizer {
    /// Candidates per group: k = −10…10.
    public static let candidates = -10...10

    /// Symmetric group (codes −8…7, nibble = code + 8). `weights[j]` ≥ 0 weighs value j's squared
    /// error. Writes the nibbles of columns `c0..<c0+count` into `packed` (row-relative, even
    /// columns low) and returns the binary16 scale bits.
    ///
    /// m = the first value of largest magnitude; for each k, t_k = −(8 + k/10) / m and codes
    /// l = clamp(round(t_k·x), −8, 7); A = Σ w·x·l, B = Σ w·l²; the candidate with B > 0 and the
    /// greatest A²/B (the first on ties) gives s = A / B.
    @inline(__always)
    static func symmetricGroup(_ x: UnsafePointer<Float>, weights: UnsafePointer<Float>, count n: Int) -> (scale: Float, found: Bool) {
        var m: Float = 0, magnitude: Float = 0
        for j in 0..<n where abs(x[j]) > magnitude {
            magnitude = abs(x[j])
            m = x[j]
        }
        guard magnitude > 0, magnitude.isFinite else { return (0, false) }
        var best = -1.0, bestScale: Float = 0
        for k in candidates {
            let t = -(Float(80 + k) / 10) / m
            var a = 0.0, b = 0.0
            for j in 0..<n {
                let l = Double(QuantizationFormulas.roundedCode(t * x[j], lo: -8, hi: 7))
                let wj = Double(weights[j])
                a += wj * Double(x[j]) * l
                b += wj * l * l
            }
            guard b > 0 else { continue }
            let score = a * a / b
            if score > best {
                best = score
                bestScale = Float(a / b)
            }
        }
        guard best >= 0, bestScale != 0, bestScale.isFinite else { return (0, false) }
        return (refined(x, weights: weights, count: n, scale: bestScale, lo: -8, hi: 7), true)
    }

    /// `refinements` alternating steps from scale s: code every value to its nearest code
    /// l = clamp(round(x / s), lo, hi), then refit s = A / B to those codes (kept only when B > 0
    /// and the refit is finite and nonzero, else the steps stop). Each step can only lower the
    /// weighted squared error.
    @inline(__always)
    static func refined(_ x: UnsafePointer<Float>, weights: UnsafePointer<Float>, count n: Int, scale: Float, lo: Float, hi: Float) -> Float {
        var s = scale
        for _ in 0..<refinements {
            var a = 0.0, b = 0.0
            for j in 0..<n {
                let l = Double(QuantizationFormulas.roundedCode(x[j] / s, lo: lo, hi: hi))
                let wj = Double(weights[j])
                a += wj * Double(x[j]) * l
                b += wj * l * l
            }
            guard b > 0 else { break }
            let next = Float(a / b)
            guard next != 0, next.isFinite else { break }
            s = next
        }
        return s
    }

    /// Refinement steps after the candidate search.
    public static let refinements = 2

    /// Asymmetric group (codes 0…15 around an integer zero point z, `W' = (q − z)·s`).
    ///
    /// lo, hi = min and max; for each k, s_k = (hi − lo) / (15 + k/10), z_k = clamp(round(−lo / s_k), 0, 15),
    /// l = clamp(round(x / s_k), −z_k, 15 − z_k); A, B as in the symmetric case; the candidate
    /// with B > 0, A > 0 and the greatest A²/B gives s = A / B and z = z_k. A constant group has
    /// no range: s = |v| / 15 with z = 0 (v > 0) or 15 (v < 0).
    @inline(__always)
    static func asymmetricGroup(_ x: UnsafePointer<Float>, weights: UnsafePointer<Float>, count n: Int) -> (scale: Float, zero: Float, found: Bool) {
        var lo = x[0], hi = x[0]
        for j in 0..<n {
            lo = x[j] < lo ? x[j] : lo
            hi = x[j] > hi ? x[j] : hi
        }
        guard lo.isFinite, hi.isFinite else { return (0, 0, false) }
        if lo == hi {
            if lo == 0 { return (0, 0, false) }
            return (abs(lo) / 15, lo > 0 ? 0 : 15, true)
        }
        var best = -1.0, bestScale: Float = 0, bestZero: Float = 0
        for k in candidates {
            let s = (hi - lo) / (Float(150 + k) / 10)
            guard s > 0, s.isFinite else { continue }
            let z = QuantizationFormulas.roundedCode(-lo / s, lo: 0, hi: 15)
            var a = 0.0, b = 0.0
            for j in 0..<n {
                let l = Double(QuantizationFormulas.roundedCode(x[j] / s, lo: -z, hi: 15 - z))
                let wj = Double(weights[j])
                a += wj * Double(x[j]) * l
                b += wj * l * l
            }
            guard b > 0, a > 0 else { continue }
            let score = a * a / b
            if score > best {
                best = score
                bestScale = Float(a / b)
                bestZero = z
            }
        }
        guard best >= 0, bestScale > 0, bestScale.isFinite else { return (0, 0, false) }
        let s = refined(x, weights: weights, count: n, scale: bestScale, lo: -bestZero, hi: 15 - bestZero)
        return s > 0 ? (s, bestZero, true) : (bestScale, bestZero, true)
    }

    /// How one group's values become nibbles and back: nibble = clamp(round(v / divisor), lo, hi)
    /// + offset; W' = (nibble − offset) · f32(scale16).
    struct GroupCoding {
        var divisor: Float
        var lo: Float
        var hi: Float
        var offset: Float
        var scaleBits: UInt16

        @inline(__always)
        func nibble(_ v: Float) -> UInt8 { UInt8(QuantizationFormulas.roundedCode(v / divisor, lo: lo, hi: hi) + offset) & 0x0F }

        @inline(__always)
        func value(_ nibble: UInt8) -> Float { (Float(nibble) - offset) * HalfPrecision.toFloat(scaleBits) }
    }

    /// The searched coding of one group (`weights[j]` weighs value j): codes nearest to the stored
    /// scale; or, where the search finds nothing (all-zero values or weights, non-finite values, a
    /// scale below binary16's range), the round-to-nearest formula of the scheme.
    static func groupCoding(_ x: UnsafePointer<Float>, weights: UnsafePointer<Float>, count n: Int, asymmetric: Bool) -> GroupCoding {
        var scale: Float = 0, zero: Float = 0, found = false
        if asymmetric {
            (scale, zero, found) = asymmetricGroup(x, weights: weights, count: n)
        } else {
            (scale, found) = symmetricGroup(x, weights: weights, count: n)
        }
        let bits = found ? storedScale(scale) : 0
        let s16 = HalfPrecision.toFloat(bits)
        var c: GroupCoding
        if found && s16 != 0 {
            c = asymmetric ? GroupCoding(divisor: s16, lo: -zero, hi: 15 - zero, offset: zero, scaleBits: bits)
                : GroupCoding(divisor: s16, lo: -8, hi: 7, offset: 8, scaleBits: bits)
        } else if asymmetric {
            var mn = x[0], mx = x[0]
            for j in 0..<n { mn = x[j] < mn ? x[j] : mn; mx = x[j] > mx ? x[j] : mx }
            let s = (mx - mn) / 15
            let z = s == 0 ? 0 : QuantizationFormulas.roundedCode(-mn / s, lo: 0, hi: 15)
            c = GroupCoding(divisor: s, lo: -z, hi: 15 - z, offset: z, scaleBits: HalfPrecision.fromFloat(s))
        } else {
            let s = QuantizationFormulas.maxMagnitude(x, n) / 7
            c = GroupCoding(divisor: s, lo: -7, hi: 7, offset: 8, scaleBits: HalfPrecision.fromFloat(s))
        }
        if c.divisor == 0 { (c.divisor, c.lo, c.hi) = (1, 0, 0) }
        return c
    }

    /// One row of an int4 matrix by the searched method: per group of `group` columns, the
    /// weights (`importance[c]` of each column when given, else w²), the search, then the codes
    /// (`groupCoding`). Same layout and outputs as `QuantizationFormulas.int4Row`.
    static func int4Row(_ w: UnsafePointer<Float>, columns: Int, group: Int, importance: UnsafePointer<Float>?,
                        packed: UnsafeMutablePointer<UInt8>, scales: UnsafeMutableRawPointer, zeros: UnsafeMutablePointer<UInt8>?,
                        weights: UnsafeMutablePointer<Float>) {
        var g = 0
        var c0 = 0
        while c0 < columns {
            let n = min(group, columns - c0)
            let x = w + c0
            for j in 0..<n { weights[j] = importance.map { $0[c0 + j] } ?? x[j] * x[j] }
            let coding = groupCoding(x, weights: weights, count: n, asymmetric: zeros != nil)
            scales.storeBytes(of: coding.scaleBits.littleEndian, toByteOffset: 2 * g, as: UInt16.self)
            if let zeros { zeros[g] = UInt8(coding.offset) }
            for j in 0..<n {
                let nibble = coding.nibble(x[j])
                let c = c0 + j
                if c & 1 == 0 { packed[c >> 1] = nibble } else { packed[c >> 1] |= nibble << 4 }
            }
            g += 1
            c0 += n
        }
    }

    /// binary16 bits of a scale, overflow clamped to the largest finite binary16 (65504) with
    /// the scale's sign.
    static func storedScale(_ s: Float) -> UInt16 {
        let bits = HalfPrecision.fromFloat(s)
        if bits & 0x7C00 == 0x7C00 { return (bits & 0x8000) | 0x7BFF }
        return bits
    }
}
