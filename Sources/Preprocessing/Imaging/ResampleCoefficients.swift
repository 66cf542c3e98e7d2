/// The resampling filters of PIL's `Image.resize` that the processors use.
public enum PillowFilter: Sendable, Equatable {
    /// `Image.BILINEAR`: triangle kernel, support 1.
    case bilinear
    /// `Image.BICUBIC`: cubic convolution with a = −0.5, support 2.
    case bicubic

    var support: Double {
        switch self {
        case .bilinear: return 1.0
        case .bicubic: return 2.0
        }
    }

    /// The kernel, evaluated with the same double-precision operations, in the same order,
    /// as Pillow's `bilinear_filter` / `bicubic_filter`.
    @inline(__always)
    func weight(_ x0: Double) -> Double {
        let x = x0 < 0.0 ? -x0 : x0
        switch self {
        case .bilinear:
            return x < 1.0 ? 1.0 - x : 0.0
        case .bicubic:
            let a = -0.5
            if x < 1.0 { return ((a + 2.0) * x - (a + 3.0)) * x * x + 1 }
            if x < 2.0 { return (((x - 5) * x + 8) * x - 4) * a }
            return 0.0
        }
    }
}

/// Per-axis fixed-point coefficient table for one PIL resampling pass (n_in → n_out).
///
/// Follows Pillow 11's `precompute_coeffs` + `normalize_coeffs_8bpc`: scale = n_in/n_out,
/// the support widened by max(scale, 1) (antialias), taps `[lo, lo+count)` per output,
/// weights normalized in double and rounded half away from zero to 22-bit fixed point.
struct ResampleCoefficients: Sendable {
    /// Fractional bits of the fixed-point weights (32 − 8 − 2).
    static let precisionBits: Int32 = 22
    /// Maximum taps per output (row stride of `weights`).
    let ksize: Int
    /// First source index of each output.
    let start: [Int]
    /// Number of taps of each output.
    let count: [Int]
    /// `outSize * ksize` fixed-point weights; unused slots are 0.
    let weights: [Int32]

    init(inSize: Int, outSize: Int, filter: PillowFilter) {
        // Pillow computes (in1 - in0) in float for the box; exact for any real image size.
        let scale = Double(Float(inSize)) / Double(outSize)
        let filterscale = max(scale, 1.0)
        let support = filter.support * filterscale
        let ksize = Int(support.rounded(.up)) * 2 + 1
        var start = [Int](repeating: 0, count: outSize)
        var count = [Int](repeating: 0, count: outSize)
        var weights = [Int32](repeating: 0, count: outSize * ksize)
        var k = [Double](repeating: 0, count: ksize)
        let ss = 1.0 / filterscale
        let one = Double(1 << Self.precisionBits)
        for xx in 0..<outSize {
            let center = 0.0 + (Double(xx) + 0.5) * scale
            var xmin = Int(center - support + 0.5)  // C cast: truncation toward zero
            if xmin < 0 { xmin = 0 }
            var xmax = Int(center + support + 0.5)
            if xmax > inSize { xmax = inSize }
            let n = xmax - xmin
            var ww = 0.0
            for x in 0..<max(n, 0) {
                let w = filter.weight((Double(x + xmin) - center + 0.5) * ss)
                k[x] = w
                ww += w
            }
            for x in 0..<max(n, 0) {
                var w = k[x]
                if ww != 0.0 { w /= ww }
                weights[xx * ksize + x] = w < 0 ? Int32(-0.5 + w * one) : Int32(0.5 + w * one)
            }
            start[xx] = xmin
            count[xx] = max(n, 0)
        }
        self.ksize = ksize
        self.start = start
        self.count = count
        self.weights = weights
    }
}
