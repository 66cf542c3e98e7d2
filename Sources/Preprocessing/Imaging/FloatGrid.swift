/// Where a set of finite floats lives: every value is an integer multiple of 2^`finestExponent` and
/// smaller in magnitude than 2^`magnitudeExponent`.
///
/// Used to prove that sums of products are exact in double: if every operand of a sum is a multiple
/// of 2^g and every partial result is below 2^B with B − g ≤ 53, each partial result fits in a
/// double's 53-bit significand, so adding in double rounds nothing. (Rounding such a value to float
/// keeps it a multiple of 2^g: it is either unchanged or moved to a multiple of a coarser float ulp.)
struct FloatGrid: Sendable, Equatable {
    var finestExponent: Int
    var magnitudeExponent: Int

    /// The grid of `values`; nil if any is infinite, NaN or subnormal. Zeros place no constraint.
    init?<S: Sequence>(_ values: S) where S.Element == Float {
        var finest = Int.max, magnitude = Int.min
        for v in values {
            let bits = v.bitPattern
            let biased = Int((bits >> 23) & 0xFF)
            if bits & 0x7FFF_FFFF == 0 { continue }  // ±0
            guard biased != 0 && biased != 0xFF else { return nil }  // subnormal, infinite, NaN
            // v = significand · 2^(exponent − 23) with a 24-bit integer significand.
            let exponent = biased - 127
            let lowestBit = exponent - 23 + Int(bits & 0x7F_FFFF | 0x80_0000).trailingZeroBitCount
            finest = min(finest, lowestBit)
            magnitude = max(magnitude, exponent + 1)
        }
        if finest == Int.max { finest = 0; magnitude = 0 }  // all zero
        finestExponent = finest
        magnitudeExponent = magnitude
    }

    init(finestExponent: Int, magnitudeExponent: Int) {
        self.finestExponent = finestExponent
        self.magnitudeExponent = magnitudeExponent
    }

    /// The smallest s with |x| < 2^s for a finite x ≥ 0 (0 for x = 0).
    static func exponentAbove(_ x: Double) -> Int { x == 0 ? 0 : Int(x.exponent) + 1 }

    /// The grid of the results of `fma`-chains Σ v_b·w_b (each partial rounded to float) over values
    /// on `self`, with weights on `weights` whose absolute sums per output stay below 2^`weightSumExponent`;
    /// nil when some partial sum might not be exact in double.
    func weightedSums(weights: FloatGrid, weightSumExponent: Int) -> FloatGrid? {
        let finest = finestExponent + weights.finestExponent
        // |partial| ≤ Σ|w|·max|v|·(1 + 2⁻²⁴)³ < 2^(mv + sw + 1); the products are smaller still.
        let bound = magnitudeExponent + weightSumExponent + 1
        guard bound - finest <= 53, finest >= -140 else { return nil }
        return FloatGrid(finestExponent: finest, magnitudeExponent: bound)
    }
}
