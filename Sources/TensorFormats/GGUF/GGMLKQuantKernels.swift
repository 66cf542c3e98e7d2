/// Dequantization kernels for the 256-element super-block types (Q2_K … Q6_K, Q8_K, IQ4_XS).
///
/// The float operations mirror gguf-py's numpy code exactly: the per-sub-block scale products
/// (`d * sc`, `dmin * m`) are rounded to f32 first, then `scale * q - min` (two operations).
enum GGMLKQuantKernels {
    /// Q2_K: scales[16] (low nibble scale, high nibble min), qs[64], d, dmin.
    /// Element `e = 128h + 32j + t`: `q = (qs[32h+t] >> 2j) & 3`, sub-block `e / 16`.
    static func q2_K(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ nb: Int) {
        for b in 0..<nb {
            let p = src + b * 84
            let y = dst + b * 256
            let d = loadF16(p, 80)
            let dmin = loadF16(p, 82)
            for h in 0..<2 {
                for j in 0..<4 {
                    let shift = UInt8(2 * j)
                    for half in 0..<2 {
                        let sc = loadU8(p, 8 * h + 2 * j + half)
                        let dl = d * Float(sc & 0x0F)
                        let ml = dmin * Float(sc >> 4)
                        let base = 128 * h + 32 * j + 16 * half
                        for t in 0..<16 {
                            let q = (loadU8(p, 16 + 32 * h + 16 * half + t) >> shift) & 3
                            let v = dl * Float(q)
                            y[base + t] = v - ml
                        }
                    }
                }
            }
        }
    }

    /// Q3_K: hmask[32], qs[64], scales[12] (16 packed 6-bit scales), d.
    /// `q = ((qs >> 2j) & 3) - (hmask bit set ? 0 : 4)`, `y = (d * (scale - 32)) * q`.
    static func q3_K(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ nb: Int) {
        var dl = [Float](repeating: 0, count: 16)
        dl.withUnsafeMutableBufferPointer { dl in
            for b in 0..<nb {
                let p = src + b * 110
                let y = dst + b * 256
                let d = loadF16(p, 108)
                for k in 0..<16 {
                    let low4 = k < 8 ? loadU8(p, 96 + k) & 0x0F : loadU8(p, 96 + k - 8) >> 4
                    let high2 = (loadU8(p, 96 + 8 + k % 4) >> UInt8(2 * (k / 4))) & 3
                    dl[k] = d * Float(Int(low4 | (high2 << 4)) - 32)
                }
                for h in 0..<2 {
                    for j in 0..<4 {
                        let shift = UInt8(2 * j)
                        let hshift = UInt8(4 * h + j)
                        for t in 0..<32 {
                            let q2 = Int((loadU8(p, 32 + 32 * h + t) >> shift) & 3)
                            let hbit = (loadU8(p, t) >> hshift) & 1
                            let q = q2 - (hbit != 0 ? 0 : 4)
                            let e = 128 * h + 32 * j + t
                            y[e] = dl[e >> 4] * Float(q)
                        }
                    }
                }
            }
        }
    }

    /// The 6-bit scale and min of sub-block `sb` (0..<8) from the 12 packed bytes at `s`
    /// (ggml's `get_scale_min_k4`).
    @inline(__always)
    static func scaleMin(_ s: UnsafeRawPointer, _ sb: Int) -> (UInt8, UInt8) {
        if sb < 4 {
            return (loadU8(s, sb) & 63, loadU8(s, sb + 4) & 63)
        }
        let sc = (loadU8(s, sb + 4) & 0x0F) | ((loadU8(s, sb - 4) >> 6) << 4)
        let m = (loadU8(s, sb + 4) >> 4) | ((loadU8(s, sb) >> 6) << 4)
        return (sc, m)
    }

    /// Q4_K: d, dmin, scales[12], qs[128]. Element `e = 64j + t`: low nibbles of `qs[32j..<32j+32]`
    /// for t < 32, high nibbles after; `y = (d * sc) * nib - (dmin * m)`.
    static func q4_K(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ nb: Int) {
        for b in 0..<nb {
            let p = src + b * 144
            let y = dst + b * 256
            let d = loadF16(p, 0)
            let dmin = loadF16(p, 2)
            let s = p + 4
            for j in 0..<4 {
                let (sc1, m1) = scaleMin(s, 2 * j)
                let (sc2, m2) = scaleMin(s, 2 * j + 1)
                let d1 = d * Float(sc1), dm1 = dmin * Float(m1)
                let d2 = d * Float(sc2), dm2 = dmin * Float(m2)
                for l in 0..<32 {
                    let x = loadU8(p, 16 + 32 * j + l)
                    let v1 = d1 * Float(x & 0x0F)
                    let v2 = d2 * Float(x >> 4)
                    y[64 * j + l] = v1 - dm1
                    y[64 * j + 32 + l] = v2 - dm2
                }
            }
        }
    }

    /// Q5_K: d, dmin, scales[12], qh[32], qs[128]. As Q4_K with bit `sb` of `qh[l]` as the 5th bit.
    static func q5_K(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ nb: Int) {
        for b in 0..<nb {
            let p = src + b * 176
            let y = dst + b * 256
            let d = loadF16(p, 0)
            let dmin = loadF16(p, 2)
            let s = p + 4
            for j in 0..<4 {
                let (sc1, m1) = scaleMin(s, 2 * j)
                let (sc2, m2) = scaleMin(s, 2 * j + 1)
                let d1 = d * Float(sc1), dm1 = dmin * Float(m1)
                let d2 = d * Float(sc2), dm2 = dmin * Float(m2)
                let sh1 = UInt8(2 * j), sh2 = UInt8(2 * j + 1)
                for l in 0..<32 {
                    let x = loadU8(p, 48 + 32 * j + l)
                    let h = loadU8(p, 16 + l)
                    let q1 = (x & 0x0F) | (((h >> sh1) & 1) << 4)
                    let q2 = (x >> 4) | (((h >> sh2) & 1) << 4)
                    let v1 = d1 * Float(q1)
                    let v2 = d2 * Float(q2)
                    y[64 * j + l] = v1 - dm1
                    y[64 * j + 32 + l] = v2 - dm2
                }
            }
        }
    }

    /// Q6_K: ql[128], qh[64], scales[16] int8, d. Element `e = 128h + 32c + l`;
    /// `y = (d * scales[e/16]) * (q - 32)`.
    static func q6_K(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ nb: Int) {
        var dl = [Float](repeating: 0, count: 16)
        dl.withUnsafeMutableBufferPointer { dl in
            for b in 0..<nb {
                let p = src + b * 210
                let y = dst + b * 256
                let d = loadF16(p, 208)
                for k in 0..<16 {
                    dl[k] = d * Float(Int8(bitPattern: loadU8(p, 192 + k)))
                }
                for h in 0..<2 {
                    for c in 0..<4 {
                        let loOffset = 64 * h + (c & 1) * 32
                        let highNibble = c >= 2
                        let hshift = UInt8(2 * c)
                        for l in 0..<32 {
                            let lo = loadU8(p, loOffset + l)
                            let nib = highNibble ? lo >> 4 : lo & 0x0F
                            let hi = (loadU8(p, 128 + 32 * h + l) >> hshift) & 3
                            let q = Int(nib | (hi << 4)) - 32
                            let e = 128 * h + 32 * c + l
                            y[e] = dl[e >> 4] * Float(q)
                        }
                    }
                }
            }
        }
    }

    /// Q8_K: d f32, qs[256] int8, bsums[16] (unused). `y = d * q`.
    static func q8_K(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ nb: Int) {
        for b in 0..<nb {
            let p = src + b * 292
            let y = dst + b * 256
            let d = Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 0, as: UInt32.self)))
            for j in 0..<256 {
                y[j] = d * Float(Int8(bitPattern: loadU8(p, 4 + j)))
            }
        }
    }

    /// IQ4_XS: d, scales_h u16, scales_l[4], qs[128]; eight sub-blocks of 32 with 6-bit scales.
    /// `y = (d * (ls - 32)) * K[nib]`.
    static func iq4_xs(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ nb: Int) {
        iq4Values.withUnsafeBufferPointer { k in
            for b in 0..<nb {
                let p = src + b * 136
                let y = dst + b * 256
                let d = loadF16(p, 0)
                let scalesH = UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
                for ib in 0..<8 {
                    let low = (loadU8(p, 4 + ib / 2) >> UInt8(4 * (ib % 2))) & 0x0F
                    let high = UInt8(truncatingIfNeeded: (scalesH >> UInt16(2 * ib)) & 3)
                    let dl = d * Float(Int(low | (high << 4)) - 32)
                    for j in 0..<16 {
                        let x = Int(loadU8(p, 8 + 16 * ib + j))
                        y[32 * ib + j] = dl * k[x & 0x0F]
                        y[32 * ib + 16 + j] = dl * k[x >> 4]
                    }
                }
            }
        }
    }
}
