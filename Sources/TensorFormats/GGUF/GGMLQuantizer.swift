/// Reference (non-imatrix) ggml quantizers, bit-exact with ggml's `quantize_row_*_ref` and
/// gguf-py 0.19.0 `gguf.quants.quantize` for finite input.
///
/// Input length must be a multiple of 32 (the block size); rows are simply consecutive blocks.
public enum GGMLQuantizer {
    /// Q8_0: per block of 32, `d = max|x| / 127`, `q = round-half-away(x / d)` computed with the
    /// f32 `d` (`id = 1/d`, 0 when d = 0); `d` is stored as fp16. 34 bytes per block.
    public static func quantizeQ8_0(_ values: [Float]) -> [UInt8] {
        precondition(values.count % 32 == 0, "Q8_0 quantizes whole blocks of 32 values")
        var out = [UInt8](repeating: 0, count: values.count / 32 * 34)
        values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBytes { dst in quantizeQ8_0(src, into: dst) }
        }
        return out
    }

    /// Q8_0 into caller-owned memory of `src.count / 32 * 34` bytes.
    public static func quantizeQ8_0(_ src: UnsafeBufferPointer<Float>, into dst: UnsafeMutableRawBufferPointer) {
        precondition(src.count % 32 == 0 && dst.count >= src.count / 32 * 34, "Q8_0 buffer sizes")
        for b in 0..<(src.count / 32) {
            let x = UnsafeBufferPointer(rebasing: src[(b * 32)..<(b * 32 + 32)])
            var amax: Float = 0
            for v in x { amax = max(amax, abs(v)) }
            let d = amax / 127
            let id: Float = d != 0 ? 1 / d : 0
            let o = b * 34
            dst.storeBytes(of: FloatCodecs.f32ToF16(d).littleEndian, toByteOffset: o, as: UInt16.self)
            for j in 0..<32 {
                let r = (x[j] * id).rounded(.toNearestOrAwayFromZero)
                let q: Int8 = r.isNaN ? 0 : Int8(max(-128, min(127, r)))
                dst[o + 2 + j] = UInt8(bitPattern: q)
            }
        }
    }

    /// Q4_0: per block of 32, `max` = the signed value of largest magnitude (first one wins),
    /// `d = max / -8`, `q = min(15, trunc(x / d + 8.5))`; `d` stored as fp16. Low nibbles hold
    /// elements 0–15, high nibbles 16–31. 18 bytes per block.
    public static func quantizeQ4_0(_ values: [Float]) -> [UInt8] {
        precondition(values.count % 32 == 0, "Q4_0 quantizes whole blocks of 32 values")
        var out = [UInt8](repeating: 0, count: values.count / 32 * 18)
        values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBytes { dst in quantizeQ4_0(src, into: dst) }
        }
        return out
    }

    /// Q4_0 into caller-owned memory of `src.count / 32 * 18` bytes.
    public static func quantizeQ4_0(_ src: UnsafeBufferPointer<Float>, into dst: UnsafeMutableRawBufferPointer) {
        precondition(src.count % 32 == 0 && dst.count >= src.count / 32 * 18, "Q4_0 buffer sizes")
        for b in 0..<(src.count / 32) {
            let x = UnsafeBufferPointer(rebasing: src[(b * 32)..<(b * 32 + 32)])
            var amax: Float = 0
            var maxValue: Float = 0
            for v in x where amax < abs(v) {
                amax = abs(v)
                maxValue = v
            }
            let d = maxValue / -8
            let id: Float = d != 0 ? 1 / d : 0
            let o = b * 18
            dst.storeBytes(of: FloatCodecs.f32ToF16(d).littleEndian, toByteOffset: o, as: UInt16.self)
            for j in 0..<16 {
                let q0 = nibble(x[j] * id + 8.5)
                let q1 = nibble(x[j + 16] * id + 8.5)
                dst[o + 2 + j] = q0 | (q1 << 4)
            }
        }
    }

    /// `min(15, trunc(v))`, clamped at 0 and with NaN as 0 so hostile input cannot trap.
    @inline(__always)
    static func nibble(_ v: Float) -> UInt8 {
        let t = v.rounded(.towardZero)
        guard !t.isNaN else { return 0 }
        return UInt8(max(0, min(15, t)))
    }
}
