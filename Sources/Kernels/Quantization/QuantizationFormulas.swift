/// The pinned per-row quantization formulas (`Fixtures/reference/quant/README.md`): float32
/// arithmetic with true divisions, round half to even, clamp after rounding.
enum QuantizationFormulas {
    /// round-half-to-even(t) clamped to the integers `lo...hi` (|lo|, |hi| < 2²²), as a Float.
    ///
    /// Clamping first is the same as clamping after rounding (rounding is monotone and keeps
    /// integers), and it keeps |t| < 2²², where adding and subtracting 1.5·2²³ rounds to the
    /// nearest integer, ties to even. A NaN (from a NaN weight) gives 0.
    @inline(__always)
    static func roundedCode(_ t: Float, lo: Float, hi: Float) -> Float {
        let clamped = t < lo ? lo : (t > hi ? hi : t)
        let rounded = (clamped + 12_582_912) - 12_582_912
        return rounded == rounded ? rounded : 0
    }

    /// The same integer as `roundedCode`, in two's complement: 1.5·2²³ + q has the bit pattern
    /// 0x4B40_0000 + q, so no (trapping) float-to-integer conversion is needed and the loops
    /// vectorize. A NaN gives an unspecified code.
    @inline(__always)
    static func roundedCodeBits(_ t: Float, lo: Float, hi: Float) -> UInt32 {
        let clamped = t < lo ? lo : (t > hi ? hi : t)
        return (clamped + 12_582_912).bitPattern &- 0x4B40_0000
    }

    /// max |w| over `count` elements.
    @inline(__always)
    static func maxMagnitude(_ w: UnsafePointer<Float>, _ count: Int) -> Float {
        var m: Float = 0
        for j in 0..<count {
            let a = abs(w[j])
            m = a > m ? a : m
        }
        return m
    }

    /// int8, one row: s = max|w| / 127; q = clamp(round(w / s), -127, 127), 0 where s = 0.
    /// Writes `columns` codes and returns s.
    static func int8Row(_ w: UnsafePointer<Float>, columns: Int, codes: UnsafeMutablePointer<Int8>) -> Float {
        let scale = maxMagnitude(w, columns) / 127
        if scale == 0 {
            codes.update(repeating: 0, count: columns)
            return scale
        }
        for j in 0..<columns {
            codes[j] = Int8(truncatingIfNeeded: roundedCodeBits(w[j] / scale, lo: -127, hi: 127))
        }
        return scale
    }

    /// int4, one row: for each group of `group` columns computes the scale (and zero point) and
    /// the nibbles, packed two per byte (even column low). Writes `(columns + 1) / 2` bytes,
    /// `ceil(columns / group)` float16 scales (LE) and, when `zeros` is given (asymmetric), as
    /// many zero points.
    static func int4Row(_ w: UnsafePointer<Float>, columns: Int, group: Int, packed: UnsafeMutablePointer<UInt8>,
                        scales: UnsafeMutableRawPointer, zeros: UnsafeMutablePointer<UInt8>?) {
        var g = 0
        var c0 = 0
        while c0 < columns {
            let c1 = min(columns, c0 + group)
            let scale: Float
            var lo: Float, hi: Float, offset: Float
            if let zeros {
                var mn = w[c0], mx = w[c0]
                for j in c0..<c1 {
                    let v = w[j]
                    mn = v < mn ? v : mn
                    mx = v > mx ? v : mx
                }
                scale = (mx - mn) / 15
                let z = scale == 0 ? 0 : roundedCode(-mn / scale, lo: 0, hi: 15)
                zeros[g] = UInt8(z)
                (lo, hi, offset) = (-z, 15 - z, z)
            } else {
                scale = maxMagnitude(w + c0, c1 - c0) / 7
                (lo, hi, offset) = (-7, 7, 8)
            }
            scales.storeBytes(of: HalfPrecision.fromFloat(scale).littleEndian, toByteOffset: 2 * g, as: UInt16.self)

            // nibble = q + 8 (symmetric) or q + z (asymmetric, q pre-clamped to -z...15-z).
            // Where s = 0, q = 0: clamping to 0...0 after dividing by 1 gives that without a branch.
            if scale == 0 { (lo, hi) = (0, 0) }
            let divisor = scale == 0 ? 1 : scale
            let bias = UInt32(offset)
            @inline(__always) func nibble(_ j: Int) -> UInt8 {
                UInt8(truncatingIfNeeded: roundedCodeBits(w[j] / divisor, lo: lo, hi: hi) &+ bias) & 0x0F
            }
            // Columns arrive in increasing order: an even column starts its byte, an odd one
            // completes it (so an odd-length row's last high nibble stays 0).
            var j = c0
            if j & 1 == 1 {
                packed[j >> 1] |= nibble(j) << 4
                j += 1
            }
            while j + 1 < c1 {
                packed[j >> 1] = nibble(j) | nibble(j + 1) << 4
                j += 2
            }
            if j < c1 { packed[j >> 1] = nibble(j) }
            g += 1
            c0 = c1
        }
    }
}
