/// What a quantizer saw in the values it coded, so that a streaming writer can apply its range
/// checks without a second pass over the weights.
///
/// `maxMagnitude`, `minimum` and `maximum` are exact when `mayBeNonFinite` is false; when it is
/// true (some value may be NaN or infinite, or the magnitudes summed past the float range) the
/// caller must check the values itself.
public struct QuantizationStats: Sendable, Equatable {
    /// max |w| over the finite values seen.
    public var maxMagnitude: Float = 0
    /// min w (only tracked by asymmetric int4; otherwise -maxMagnitude or less).
    public var minimum: Float = .infinity
    /// max w (only tracked by asymmetric int4; otherwise maxMagnitude or more).
    public var maximum: Float = -.infinity
    /// True when some value may be NaN or ±infinity.
    public var mayBeNonFinite = false

    public init() {}

    /// Folds in the statistics of other rows.
    public mutating func merge(_ other: QuantizationStats) {
        maxMagnitude = other.maxMagnitude > maxMagnitude ? other.maxMagnitude : maxMagnitude
        minimum = other.minimum < minimum ? other.minimum : minimum
        maximum = other.maximum > maximum ? other.maximum : maximum
        mayBeNonFinite = mayBeNonFinite || other.mayBeNonFinite
    }

    /// Statistics of `count` values by a plain scan (the kernels' fallback for awkward shapes).
    static func scan(_ w: UnsafePointer<Float>, _ count: Int) -> QuantizationStats {
        var s = QuantizationStats()
        for j in 0..<count {
            let v = w[j]
            if !v.isFinite { s.mayBeNonFinite = true; continue }
            let a = abs(v)
            s.maxMagnitude = a > s.maxMagnitude ? a : s.maxMagnitude
            s.minimum = v < s.minimum ? v : s.minimum
            s.maximum = v > s.maximum ? v : s.maximum
        }
        return s
    }
}
