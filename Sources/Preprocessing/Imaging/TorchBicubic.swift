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
/// the same contractions. Reproducing those fused operations here (`ExactFusedSum`) makes the result
/// bit-identical to torch 2.15.0 on an AVX2+FMA CPU (verified against fixtures for integer and
/// non-integer ratios). The per-row width sums depend only on the source row and output column, so
/// the computation is done separably (width pass, then height pass) with identical arithmetic,
/// row by row (`RowStream`).
public enum TorchBicubic {
    /// Interpolates `input` (channels × height × width, row-major) to channels × outHeight × outWidth.
    public static func interpolate(_ input: [Float], channels: Int, height: Int, width: Int,
                                   outHeight: Int, outWidth: Int) -> [Float] {
        precondition(channels >= 0 && height > 0 && width > 0 && outHeight > 0 && outWidth > 0,
                     "TorchBicubic: sizes must be positive")
        precondition(input.count == channels * height * width, "TorchBicubic: input count does not match shape")
        let stream = RowStream(channels: channels, height: height, width: width, outHeight: outHeight, outWidth: outWidth,
                               values: FloatGrid(input))
        let count = channels * outHeight * outWidth
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
            input.withUnsafeBufferPointer { src in
                guard let src = src.baseAddress, let out = out.baseAddress else { return }  // empty: 0 channels
                for c in 0..<channels {
                    for y in 0..<height where stream.isNeeded(row: y) {
                        stream.push(channel: c, row: y, values: src + (c * height + y) * width, into: out)
                    }
                }
            }
            initialized = count
        }
    }
}
