/// Bit-exact conversions between f32 and the narrow float formats checkpoints use.
public enum FloatCodecs {
    /// IEEE binary16 → f32 (exact).
    @inlinable
    public static func f16ToF32(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exp = UInt32(h >> 10) & 0x1F
        let mant = UInt32(h & 0x3FF)
        if exp == 0 {
            if mant == 0 { return Float(bitPattern: sign) }
            // Subnormal: value = mant * 2^-24.
            let v = Float(mant) * (1.0 / 16_777_216.0)
            return sign != 0 ? -v : v
        }
        if exp == 0x1F {
            return Float(bitPattern: sign | 0x7F80_0000 | (mant << 13))
        }
        return Float(bitPattern: sign | ((exp + 112) << 23) | (mant << 13))
    }

    /// f32 → IEEE binary16, round to nearest even (as numpy `astype(float16)` and ggml's `GGML_FP32_TO_FP16`).
    @inlinable
    public static func f32ToF16(_ f: Float) -> UInt16 {
        let x = f.bitPattern
        let sign = UInt16((x >> 16) & 0x8000)
        let exp = Int((x >> 23) & 0xFF)
        let mant = x & 0x7F_FFFF
        if exp == 0xFF {
            if mant == 0 { return sign | 0x7C00 }
            return sign | 0x7E00 | UInt16(truncatingIfNeeded: mant >> 13)
        }
        let e = exp - 127 + 15
        if e >= 0x1F { return sign | 0x7C00 }
        if e <= 0 {
            // Subnormal or zero in f16.
            if e < -10 { return sign }
            let m = mant | 0x80_0000
            let shift = UInt32(14 - e)
            var r = m >> shift
            let rem = m & ((1 << shift) - 1)
            let half = UInt32(1) << (shift - 1)
            if rem > half || (rem == half && (r & 1) == 1) { r += 1 }
            return sign | UInt16(truncatingIfNeeded: r)
        }
        var r = (UInt32(e) << 10) | (mant >> 13)
        let rem = mant & 0x1FFF
        if rem > 0x1000 || (rem == 0x1000 && (r & 1) == 1) { r += 1 }
        return sign | UInt16(truncatingIfNeeded: r)
    }

    /// bfloat16 → f32 (exact: the 16 bits become the upper half).
    @inlinable
    public static func bf16ToF32(_ b: UInt16) -> Float {
        Float(bitPattern: UInt32(b) << 16)
    }

    /// f32 → bfloat16, round to nearest even; NaN becomes a quiet NaN (as torch, ggml and gguf-py do).
    @inlinable
    public static func f32ToBF16(_ f: Float) -> UInt16 {
        let u = f.bitPattern
        if f.isNaN { return UInt16(truncatingIfNeeded: (u >> 16) | 64) }
        return UInt16(truncatingIfNeeded: (u &+ 0x7FFF &+ ((u >> 16) & 1)) >> 16)
    }

    /// float8 e4m3fn → f32 (bias 7, no infinities, S.1111.111 is NaN).
    @inlinable
    public static func f8e4m3ToF32(_ v: UInt8) -> Float {
        let sign: Float = (v & 0x80) != 0 ? -1 : 1
        let exp = Int((v >> 3) & 0xF)
        let mant = Int(v & 0x7)
        if exp == 0xF && mant == 0x7 { return .nan }
        if exp == 0 { return sign * Float(mant) * 0x1p-9 }
        return sign * (1 + Float(mant) / 8) * Float(sign: .plus, exponent: exp - 7, significand: 1)
    }

    /// float8 e5m2 → f32 (IEEE-like, bias 15).
    @inlinable
    public static func f8e5m2ToF32(_ v: UInt8) -> Float {
        f16ToF32(UInt16(v) << 8)
    }
}
