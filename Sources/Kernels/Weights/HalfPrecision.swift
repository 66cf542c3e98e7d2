/// IEEE binary16 ↔ fp32 (Kernels know no file formats, so they carry their own codec).
public enum HalfPrecision {
    /// binary16 bits → fp32 (exact: every binary16 value is an fp32 value).
    @inline(__always)
    public static func toFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exp = UInt32(h >> 10) & 0x1F
        let mant = UInt32(h & 0x3FF)
        if exp == 0 {
            if mant == 0 { return Float(bitPattern: sign) }
            let v = Float(mant) * (1.0 / 16_777_216.0)
            return sign != 0 ? -v : v
        }
        if exp == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | (mant << 13)) }
        return Float(bitPattern: sign | ((exp + 112) << 23) | (mant << 13))
    }

    /// fp32 → binary16 bits, rounded to nearest even: results below half the smallest subnormal
    /// become ±0, subnormal results are rounded at their own precision, magnitudes from 65520 up
    /// become ±infinity, and NaN stays a (quiet) NaN.
    @inline(__always)
    public static func fromFloat(_ f: Float) -> UInt16 {
        let bits = f.bitPattern
        let sign = UInt16(truncatingIfNeeded: bits >> 16) & 0x8000
        let exp = Int((bits >> 23) & 0xFF)
        let mant = bits & 0x7F_FFFF
        if exp == 0xFF {
            return mant == 0 ? sign | 0x7C00 : sign | 0x7E00 | UInt16(truncatingIfNeeded: mant >> 13)
        }
        let halfExp = exp - 112  // binary16 biased exponent
        if halfExp >= 0x1F { return sign | 0x7C00 }
        if halfExp <= 0 {
            // Subnormal (or zero) result: the value in units of 2⁻²⁴, rounded at bit `shift`.
            if halfExp < -10 { return sign }
            let full = mant | 0x80_0000
            let shift = UInt32(14 - halfExp)
            let kept = full >> shift
            let rest = full & ((1 << shift) - 1)
            let half: UInt32 = 1 << (shift - 1)
            let rounded = rest > half || (rest == half && kept & 1 == 1) ? kept + 1 : kept
            return sign | UInt16(truncatingIfNeeded: rounded)
        }
        let kept = UInt32(halfExp) << 10 | mant >> 13
        let rest = mant & 0x1FFF
        // A carry out of the mantissa moves into the exponent (up to infinity), as it should.
        let rounded = rest > 0x1000 || (rest == 0x1000 && kept & 1 == 1) ? kept + 1 : kept
        return sign | UInt16(truncatingIfNeeded: rounded)
    }
}

/// bfloat16 ↔ fp32: bfloat16 is the upper half of an fp32.
public enum BrainFloat16 {
    /// bfloat16 bits → fp32 (exact).
    @inline(__always)
    public static func toFloat(_ h: UInt16) -> Float { Float(bitPattern: UInt32(h) << 16) }

    /// fp32 → bfloat16 bits, rounded to nearest even (overflow goes to ±infinity, NaN stays a quiet NaN).
    @inline(__always)
    public static func fromFloat(_ f: Float) -> UInt16 {
        let bits = f.bitPattern
        if f.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
        let rounded = bits &+ 0x7FFF &+ ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: rounded >> 16)
    }
}
