import Kernels
import Testing

/// fp32 → binary16 / bfloat16 encoding (round to nearest even) against Swift's `Float16` and a
/// nearest-neighbour oracle, over every exponent and the mantissa patterns where rounding decides.
@Suite struct HalfPrecisionEncodingTests {
    /// For every sign and exponent: all 1024 kept-mantissa patterns × low-bit patterns around
    /// the halfway point, plus a strided sweep over all floats; the f16 subnormal exponents are
    /// swept densely (their rounding point moves).
    static func samples(_ body: (Float) -> Void) {
        let lows: [UInt32] = [0, 1, 0x0FFF, 0x1000, 0x1001, 0x1FFF, 0x0800, 0x17FF]
        for sign: UInt32 in [0, 0x8000_0000] {
            for exp: UInt32 in 0...255 {
                for high: UInt32 in 0..<1024 {
                    for low in lows { body(Float(bitPattern: sign | exp << 23 | high << 13 | low)) }
                }
            }
            for exp: UInt32 in 100...113 {
                for mant in stride(from: UInt32(0), to: 1 << 23, by: 5) { body(Float(bitPattern: sign | exp << 23 | mant)) }
            }
        }
        for bits in stride(from: UInt32(0), to: UInt32.max - 4093, by: 4093) { body(Float(bitPattern: bits)) }
    }

    @Test func float16MatchesSwiftFloat16() {
        var checked = 0, mismatches = 0
        Self.samples { f in
            let got = HalfPrecision.fromFloat(f), want = Float16(f)
            checked += 1
            if want.isNaN ? !Float16(bitPattern: got).isNaN : got != want.bitPattern { mismatches += 1 }
        }
        print("QUANT-F16 fromFloat: \(checked) floats, \(mismatches) mismatches")
        #expect(mismatches == 0)
        // Spot checks of the boundaries.
        #expect(HalfPrecision.fromFloat(65504) == 0x7BFF && HalfPrecision.fromFloat(65520) == 0x7C00)
        #expect(HalfPrecision.fromFloat(65519.99) == 0x7BFF)
        #expect(HalfPrecision.fromFloat(0x1p-25) == 0 && HalfPrecision.fromFloat(0x1.000002p-25) == 1)
        #expect(HalfPrecision.fromFloat(-0.0) == 0x8000)
    }

    @Test func float16RoundTripsEveryHalf() {
        var mismatches = 0
        for bits in 0...UInt16.max {
            let f = HalfPrecision.toFloat(bits)
            if f.isNaN { if HalfPrecision.toFloat(HalfPrecision.fromFloat(f)).isNaN { continue } else { mismatches += 1; continue } }
            if HalfPrecision.fromFloat(f) != bits { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }

    @Test func bfloat16IsTheNearestNeighbour() {
        var checked = 0, mismatches = 0
        Self.samples { f in
            let got = BrainFloat16.toFloat(BrainFloat16.fromFloat(f)), want = OracleQuantizer.bf16(f)
            checked += 1
            if want.isNaN ? !got.isNaN : got.bitPattern != want.bitPattern { mismatches += 1 }
        }
        print("QUANT-BF16 fromFloat: \(checked) floats, \(mismatches) mismatches")
        #expect(mismatches == 0)
    }
}
