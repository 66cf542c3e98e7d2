/// PyTorch's `F.interpolate(x, size: (H, W), mode: "bicubic", align_corners: false,
/// antialias: false)` on a float32 CHW tensor (the Phi-3-V global view).
///
/// Cubic convolution with A = −0.75, source coordinate `scale·(i + 0.5) − 0.5` with
/// `scale = Float(in)/Float(out)`, taps clamped into the image, values not clamped.
///
/// Rounding: PyTorch's CPU kernel (`upsample_generic_Nd_kernel_impl` → `Interpolate<2,…,4>`,
/// dispatched to the AVX2 build on x86-64, which GCC compiles with FMA contraction) computes
/// for each of the 4 source rows a width sum `fma(t3,w3, fma(t2,w2, fma(t0,w0, t1·w1)))` and then
/// combines the 4 row sums with the height weights the same way. The weights are float32 with
/// the same contractions. Reproducing those fused operations here makes the result bit-identical
/// to torch 2.15.0 on an AVX2+FMA CPU (verified against fixtures for integer and non-integer
/// ratios). The per-row width sums depend only on the source row and output column, so the
/// computation is done separably (width pass, then height pass) with identical arithmetic.
public enum TorchBicubic {
    /// Interpolates `input` (channels × height × width, row-major) to channels × outHeight × outWidth.
    public static func interpolate(_ input: [Float], channels: Int, height: Int, width: Int,
                                   outHeight: Int, outWidth: Int) -> [Float] {
        precondition(channels >= 0 && height > 0 && width > 0 && outHeight > 0 && outWidth > 0,
                     "TorchBicubic: sizes must be positive")
        precondition(input.count == channels * height * width, "TorchBicubic: input count does not match shape")
        let cw = Taps(inSize: width, outSize: outWidth)
        let ch = Taps(inSize: height, outSize: outHeight)
        var mid = [Float](repeating: 0, count: height * outWidth)
        var out = [Float](repeating: 0, count: channels * outHeight * outWidth)
        input.withUnsafeBufferPointer { src in
            mid.withUnsafeMutableBufferPointer { mid in
                out.withUnsafeMutableBufferPointer { dst in
                    for c in 0..<channels {
                        let plane = c * height * width
                        // width pass: mid[y][j] = Σ_b src[y][ix_b(j)]·wx_b(j), torch's order
                        for y in 0..<height {
                            let row = plane + y * width
                            let mrow = y * outWidth
                            for j in 0..<outWidth {
                                let t = 4 * j
                                mid[mrow + j] = Taps.sum(src[row + cw.index[t]], src[row + cw.index[t + 1]],
                                                         src[row + cw.index[t + 2]], src[row + cw.index[t + 3]],
                                                         cw.weight, t)
                            }
                        }
                        // height pass over whole rows
                        let oplane = c * outHeight * outWidth
                        for i in 0..<outHeight {
                            let t = 4 * i
                            let r0 = ch.index[t] * outWidth, r1 = ch.index[t + 1] * outWidth
                            let r2 = ch.index[t + 2] * outWidth, r3 = ch.index[t + 3] * outWidth
                            let orow = oplane + i * outWidth
                            for j in 0..<outWidth {
                                dst[orow + j] = Taps.sum(mid[r0 + j], mid[r1 + j], mid[r2 + j], mid[r3 + j], ch.weight, t)
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// Four clamped source indices and float32 weights per output index along one axis.
    struct Taps {
        var index: [Int]
        var weight: [Float]

        init(inSize: Int, outSize: Int) {
            let a: Float = -0.75
            let scale = Float(inSize) / Float(outSize)
            index = [Int](repeating: 0, count: 4 * outSize)
            weight = [Float](repeating: 0, count: 4 * outSize)
            for i in 0..<outSize {
                // area_pixel_compute_source_index (cubic): scale·(i + 0.5) − 0.5, fused
                let real = (-0.5 as Float).addingProduct(scale, Float(i) + 0.5)
                let idx = min(Int(real.rounded(.down)), inSize - 1)
                let t = min(max(real - Float(idx), 0), 1)
                let x2: Float = 1 - t
                weight[4 * i] = Self.conv2(t + 1, a)
                weight[4 * i + 1] = Self.conv1(t, a)
                weight[4 * i + 2] = Self.conv1(x2, a)
                weight[4 * i + 3] = Self.conv2(x2 + 1, a)
                for j in 0..<4 { index[4 * i + j] = max(min(idx - 1 + j, inSize - 1), 0) }
            }
        }

        /// ((A+2)x − (A+3))·x·x + 1, with the first multiply-add fused (as torch's build does).
        @inline(__always)
        static func conv1(_ x: Float, _ a: Float) -> Float {
            let p = (-(a + 3)).addingProduct(a + 2, x)
            return p * x * x + 1
        }

        /// ((A·x − 5A)·x + 8A)·x − 4A, with the first two multiply-adds fused.
        @inline(__always)
        static func conv2(_ x: Float, _ a: Float) -> Float {
            let p = (-(5 * a)).addingProduct(a, x)
            let q = (8 * a).addingProduct(p, x)
            return q * x - 4 * a
        }

        /// torch's accumulation: fma(v3,w3, fma(v2,w2, fma(v0,w0, v1·w1))).
        @inline(__always)
        static func sum(_ v0: Float, _ v1: Float, _ v2: Float, _ v3: Float, _ w: [Float], _ t: Int) -> Float {
            var o = fma(v0, w[t], v1 * w[t + 1])
            o = fma(v2, w[t + 2], o)
            return fma(v3, w[t + 3], o)
        }

        /// Correctly rounded fp32 fma(a, b, c) without a libm call (the build targets baseline
        /// x86-64, so `addingProduct` is an out-of-line `fmaf`). a·b is exact in double; adding c
        /// rounds once, to s. If s is not halfway between two floats, a and its exact value lie
        /// strictly between the same two float midpoints, so rounding s to float is the correctly
        /// rounded result. The rare ties (and tiny results near the float subnormal range) go to `fmaf`.
        @inline(__always)
        static func fma(_ a: Float, _ b: Float, _ c: Float) -> Float {
            let s = Double(a) * Double(b) + Double(c)
            let bits = s.bitPattern
            let tie = bits & 0x1FFF_FFFF == 0x1000_0000
            let tiny = bits & 0x7FF0_0000_0000_0000 < 0x3820_0000_0000_0000 && s != 0  // |s| < 2^-125
            if tie || tiny { return c.addingProduct(a, b) }
            return Float(s)
        }
    }
}
