/// How an int4 quantizer chooses each group's scale (and zero point) and codes. Every method
/// writes the same storage (`QuantScheme.int4`) that the same kernels read; only the bytes differ
/// (`Formats/vlmb.md` §3.3).
public enum Int4Method: String, Sendable, Hashable, CaseIterable {
    /// Round to nearest on the group's range: `s = max|w| / 7` (codes −7…7) or `(max − min) / 15`
    /// with a zero point. The formula of format 1.0 and the default.
    case roundToNearest = "rtn"
    /// All 16 levels (codes −8…7, the sign of the largest-magnitude value choosing the end it
    /// lands on, as ggml's Q4_0 does) and a scale chosen among 21 candidates by weighted least
    /// squares, the weights being w² (no data needed).
    case searched = "search"
    /// `searched` with each column's weight taken from calibration activations (the mean of x²
    /// of that input column, `convert --calibration`/`--importance`) instead of w².
    case importance = "importance"
    /// GPTQ (Frantar et al., 2022): columns coded one at a time, each one's rounding error spread
    /// over the columns not yet coded through the inverse of the calibration inputs' second-moment
    /// matrix H = E[xᵀx]; every group's scale is searched as `importance` does on the weights as
    /// they stand when the group is reached. Needs the calibration's H per linear.
    case gptq = "gptq"

    /// True when the method needs calibration statistics.
    public var needsCalibration: Bool { self == .importance || self == .gptq }
}
