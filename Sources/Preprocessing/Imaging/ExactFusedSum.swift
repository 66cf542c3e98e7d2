/// torch's 4-tap accumulation `fma(v3,w3, fma(v2,w2, fma(v0,w0, v1·w1)))` in float32 with every
/// multiply-add fused (one rounding each), computed exactly on a CPU without FMA instructions
/// (the build targets baseline x86-64, where `addingProduct` is an out-of-line `fmaf` call).
///
/// Why double arithmetic is exact here: a·b of two floats is exact in double; adding c rounds once,
/// to s. Rounding s to float gives the correctly rounded fma unless s sits exactly halfway between
/// two floats while p + c was not exact (then the first rounding decided the tie) or s is tiny
/// (|s| < 2⁻¹²⁵, where float subnormals lose bits). Those cases are detected and recomputed with `fmaf`.
enum ExactFusedSum {
    /// One float32 fused multiply-add, correctly rounded, without a libm call in the common case.
    @inline(__always)
    static func fma(_ a: Float, _ b: Float, _ c: Float) -> Float {
        let s = Double(a) * Double(b) + Double(c)
        let bits = s.bitPattern
        let tie = bits & 0x1FFF_FFFF == 0x1000_0000
        let tiny = bits & 0x7FF0_0000_0000_0000 < 0x3820_0000_0000_0000 && s != 0  // |s| < 2^-125
        if tie || tiny { return c.addingProduct(a, b) }
        return Float(s)
    }

    /// The 4-tap sum for one output: torch's order.
    @inline(__always)
    static func sum(_ v0: Float, _ v1: Float, _ v2: Float, _ v3: Float,
                    _ w0: Float, _ w1: Float, _ w2: Float, _ w3: Float) -> Float {
        var o = fma(v0, w0, v1 * w1)
        o = fma(v2, w2, o)
        return fma(v3, w3, o)
    }

    typealias Lanes = SIMD4<Double>

    /// The sum for 4 outputs when every `p + c` is known to be exact in double (see `FloatGrid`):
    /// then rounding s to float is the single rounding of the exact value, so no test is needed.
    @inline(__always)
    static func sumExactInDouble(_ v0: Lanes, _ v1: Lanes, _ v2: Lanes, _ v3: Lanes,
                                 _ w0: Lanes, _ w1: Lanes, _ w2: Lanes, _ w3: Lanes) -> SIMD4<Float> {
        var o = Lanes(SIMD4<Float>(v1 * w1))
        o = Lanes(SIMD4<Float>(v0 * w0 + o))
        o = Lanes(SIMD4<Float>(v2 * w2 + o))
        return SIMD4<Float>(v3 * w3 + o)
    }

    /// The same sum for 4 outputs at once (weights given in double, exactly the float weights).
    /// Returns nil when an intermediate of some lane cannot be rounded safely this way (an inexact
    /// halfway case, or tiny, or zero, which the cheap test lumps in with tiny); the caller then uses
    /// the scalar `sum` for those 4 outputs.
    @inline(__always)
    static func sum(_ v0: Lanes, _ v1: Lanes, _ v2: Lanes, _ v3: Lanes,
                    _ w0: Lanes, _ w1: Lanes, _ w2: Lanes, _ w3: Lanes) -> SIMD4<Float>? {
        var o = Lanes(SIMD4<Float>(v1 * w1))  // exact product, rounded once: the float product
        var suspect = SIMD8<Int32>.zero
        o = step(v0 * w0, o, &suspect)
        o = step(v2 * w2, o, &suspect)
        o = step(v3 * w3, o, &suspect)
        // (`suspect == .zero` compiles to a per-lane loop; OR the halves and test two words instead.)
        let folded = unsafeBitCast(suspect.lowHalf | suspect.highHalf, to: SIMD2<UInt64>.self)
        return folded[0] | folded[1] == 0 ? SIMD4<Float>(o) : nil
    }

    /// fma(a, b, c) rounded to float, given the exact product p = a·b: s = p + c rounded once in
    /// double, then to float. Flags lanes where that double rounding may differ from one rounding.
    @inline(__always)
    static func step(_ p: Lanes, _ c: Lanes, _ suspect: inout SIMD8<Int32>) -> Lanes {
        let s = p + c
        // Knuth's TwoSum: e = (p + c) − s exactly. Only an inexact s can be a wrongly decided tie.
        let bb = s - p
        let e = (p - (s - bb)) + (c - bb)
        let inexact = unsafeBitCast(e .!= 0, to: SIMD8<Int32>.self)
        // Per 32-bit word (little endian: low word first): the low word of a halfway case has its
        // 29 bits below float precision equal to 0x1000_0000; the high word of a tiny (|s| < 2⁻¹²⁵)
        // or zero value has a biased exponent below 0x382. High words are ≥ 0 after masking, so they
        // never equal −1; low words are never below Int32.min. Masks are combined as plain integer
        // vectors and the constants are typed: `SIMDMask` operations and untyped `SIMD8(…)` literals
        // compile to per-lane loops here.
        let fieldMask = SIMD8<Int32>(0x1FFF_FFFF, 0x7FF0_0000, 0x1FFF_FFFF, 0x7FF0_0000,
                                     0x1FFF_FFFF, 0x7FF0_0000, 0x1FFF_FFFF, 0x7FF0_0000)
        let halfwayPattern = SIMD8<Int32>(0x1000_0000, -1, 0x1000_0000, -1, 0x1000_0000, -1, 0x1000_0000, -1)
        let tinyBound = SIMD8<Int32>(Int32.min, 0x3820_0000, Int32.min, 0x3820_0000,
                                     Int32.min, 0x3820_0000, Int32.min, 0x3820_0000)
        let masked = unsafeBitCast(s, to: SIMD8<Int32>.self) & fieldMask
        let halfway = masked .== halfwayPattern
        let tiny = masked .< tinyBound
        suspect |= (unsafeBitCast(halfway, to: SIMD8<Int32>.self) & inexact) | unsafeBitCast(tiny, to: SIMD8<Int32>.self)
        return Lanes(SIMD4<Float>(s))
    }
}
