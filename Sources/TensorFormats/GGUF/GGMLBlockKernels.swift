/// Dequantization kernels for the 32-element block types (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL).
///
/// Each kernel converts `nb` consecutive blocks. The float operations mirror gguf-py's numpy code
/// exactly (e.g. Q4_1 is `(d * q) + m`, two separately rounded f32 operations).
/// Nibble order: the low nibbles of `qs[0..<16]` are elements 0–15, the high nibbles 16–31.
enum GGMLBlockKernels {
    /// Q4_0: d fp16, qs[16]. `y = d * (nib - 8)`.
    static func q4_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ nb: Int) {
        for b in 0..<nb {
            let p = src + b * 18
            let y = dst + b * 32
            let d = loadF16(p, 0)
            for j in 0..<16 {
                let x = loadU8(p, 2 + j)
                y[j] = d * Float(Int(x & 0x0F) - 8)
                y[j + 16] = d * Float(Int(x >> 4) - 8)
            }
        }
    }

    /// Q4_1: d fp16, m fp16, qs[16]. `y = (d * nib) + m`.
    static func q4_1(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ nb: Int) {
        for b in 0..<nb {
            let p = src + b * 20
            let y = dst + b * 32
            let d = loadF16(p, 0)
            let m = loadF16(p, 2)
            for j in 0..<16 {
                let x = loadU8(p, 4 + j)
                let lo = d * Float(x & 0x0F)
                let hi = d * Float(x >> 4)
                y[j] = lo + m
                y[j + 16] = hi + m
            }
        }
    }

    /// Q5_0: d fp16, qh u32 (bit e is the 5th bit of element e), qs[16]. `y = d * (q - 16)`.
    static func q5_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ nb: Int) {
        for b in 0..<nb {
            let p = src + b * 22
            let y = dst + b * 32
            let d = loadF16(p, 0)
            let qh = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
            for j in 0..<16 {
                let x = UInt32(loadU8(p, 6 + j))
                let q0 = (x & 0x0F) | (((qh >> UInt32(j)) & 1) << 4)
                let q1 = (x >> 4) | (((qh >> UInt32(j + 16)) & 1) << 4)
                y[j] = d * Float(Int(q0) - 16)
                y[j + 16] = d * Float(Int(q1) - 16)
            }
        }
    }

    /// Q5_1: d fp16, m fp16, qh u32, qs[16]. `y = (d * q) + m`.
    static func q5_1(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ nb: Int) {
        for b in 0..<nb {
            let p = src + b * 24
            let y = dst + b * 32
            let d = loadF16(p, 0)
            let m = loadF16(p, 2)
            let qh = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
            for j in 0..<16 {
                let x = UInt32(loadU8(p, 8 + j))
                let q0 = (x & 0x0F) | (((qh >> UInt32(j)) & 1) << 4)
                let q1 = (x >> 4) | (((qh >> UInt32(j + 16)) & 1) << 4)
                let v0 = d * Float(q0)
                let v1 = d * Float(q1)
                y[j] = v0 + m
                y[j + 16] = v1 + m
            }
        }
    }

    /// Q8_0: d fp16, qs[32] int8. `y = q * d`.
    static func q8_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ nb: Int) {
        for b in 0..<nb {
            let p = src + b * 34
            let y = dst + b * 32
            let d = loadF16(p, 0)
            for j in 0..<32 {
                y[j] = Float(Int8(bitPattern: loadU8(p, 2 + j))) * d
            }
        }
    }

    /// IQ4_NL: d fp16, qs[16]; `y = d * K[nib]` with the non-linear codebook K.
    static func iq4_nl(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ nb: Int) {
        iq4Values.withUnsafeBufferPointer { k in
            for b in 0..<nb {
                let p = src + b * 18
                let y = dst + b * 32
                let d = loadF16(p, 0)
                for j in 0..<16 {
                    let x = Int(loadU8(p, 2 + j))
                    y[j] = d * k[x & 0x0F]
                    y[j + 16] = d * k[x >> 4]
                }
            }
        }
    }
}
