import Kernels
import Testing

/// The vector quantizer paths — rows whose length is a multiple of 32 (int4) or 16 (int8), fp32
/// and bfloat16 inputs, one row or a tile of rows at a time — against `OracleQuantizer`, on
/// magnitudes that keep scales normal and on ones that send groups to the scalar formulas
/// (zero, subnormal and float16-overflowing scales); and the statistics a streaming writer checks.
@Suite struct VectorQuantizerTests {
    static let schemes: [QuantScheme] = [
        .int8, .int4(group: 32, asymmetric: false), .int4(group: 64, asymmetric: false), .int4(group: 128, asymmetric: false),
        .int4(group: 32, asymmetric: true), .int4(group: 128, asymmetric: true),
    ]
    static let shapes = [(1, 32), (3, 64), (2, 96), (4, 128), (2, 160), (3, 256), (2, 512), (1, 3072)]

    /// Rows of random values with a per-row magnitude 2^e, e drawn from `exponents`; some groups zero.
    static func matrix(rows: Int, columns: Int, exponents: ClosedRange<Int>, rng: inout SplitMix64) -> [Float] {
        var w: [Float] = []
        for r in 0..<rows {
            let e = Int.random(in: exponents, using: &rng)
            w += (0..<columns).map { j in
                // Every third row has a zero group of 32.
                r % 3 == 2 && j < 32 ? 0 : Float.random(in: -1...1, using: &rng) * Float(sign: .plus, exponent: e, significand: 1)
            }
        }
        return w
    }

    /// The bytes of quantizing `w` a tile of rows at a time with `quantizeRows`.
    static func byRows(_ w: [Float], rows: Int, columns: Int, _ scheme: QuantScheme) -> (QuantizedBytes, QuantizationStats) {
        let layout = WeightQuantizer.RowLayout(columns: columns, scheme: scheme)
        var data = [UInt8](repeating: 0, count: rows * layout.dataBytes)
        var scales = [UInt8](repeating: 0, count: rows * layout.scaleBytes)
        var zeros = [UInt8](repeating: 0, count: max(rows * layout.zeroBytes, 1))
        let stats = w.withUnsafeBufferPointer { src in data.withUnsafeMutableBytes { d in scales.withUnsafeMutableBytes { s in zeros.withUnsafeMutableBytes { z in
            WeightQuantizer.quantizeRows(src.baseAddress!, rows: rows, layout: layout, data: d.baseAddress!, scales: s.baseAddress!, zeros: z.baseAddress!)
        } } } }
        return (QuantizedBytes(data: data, scales: scales, zeros: layout.zeroBytes > 0 ? zeros : []), stats)
    }

    /// The same from bfloat16 bit patterns.
    static func byBF16Rows(_ bits: [UInt16], rows: Int, columns: Int, _ scheme: QuantScheme) -> (QuantizedBytes, QuantizationStats) {
        let layout = WeightQuantizer.RowLayout(columns: columns, scheme: scheme)
        var data = [UInt8](repeating: 0, count: rows * layout.dataBytes)
        var scales = [UInt8](repeating: 0, count: rows * layout.scaleBytes)
        var zeros = [UInt8](repeating: 0, count: max(rows * layout.zeroBytes, 1))
        var scratch = [Float](repeating: 0, count: columns)
        let stats = bits.withUnsafeBytes { src in data.withUnsafeMutableBytes { d in scales.withUnsafeMutableBytes { s in zeros.withUnsafeMutableBytes { z in
            scratch.withUnsafeMutableBufferPointer { t in
                WeightQuantizer.quantizeRows(bf16: src.baseAddress!, rows: rows, layout: layout, data: d.baseAddress!, scales: s.baseAddress!,
                                             zeros: z.baseAddress!, scratch: t.baseAddress!)
            }
        } } } }
        return (QuantizedBytes(data: data, scales: scales, zeros: layout.zeroBytes > 0 ? zeros : []), stats)
    }

    static func expectOracle(_ got: QuantizedBytes, _ w: [Float], rows: Int, columns: Int, _ scheme: QuantScheme, _ label: String) {
        let want = OracleQuantizer(w, rows: rows, columns: columns, scheme: scheme).bytes
        #expect(got.data == want.data, "\(label) \(scheme.name) \(rows)×\(columns): data")
        #expect(got.scales == want.scales, "\(label) \(scheme.name) \(rows)×\(columns): scales")
        #expect(got.zeros == want.zeros, "\(label) \(scheme.name) \(rows)×\(columns): zeros")
    }

    @Test(arguments: [("ordinary", -8...4), ("tiny", -140 ... -120), ("huge", 17...20)])
    func fp32RowsMatchTheOracle(label: String, exponents: ClosedRange<Int>) {
        var rng = SplitMix64(seed: 32)
        for (rows, columns) in Self.shapes {
            let w = Self.matrix(rows: rows, columns: columns, exponents: exponents, rng: &rng)
            for scheme in Self.schemes {
                let whole = w.withUnsafeBufferPointer { WeightQuantizer.quantize($0, rows: rows, columns: columns, scheme: scheme) }
                Self.expectOracle(whole, w, rows: rows, columns: columns, scheme, label + " quantize")
                Self.expectOracle(Self.byRows(w, rows: rows, columns: columns, scheme).0, w, rows: rows, columns: columns, scheme, label + " quantizeRows")
            }
        }
    }

    @Test(arguments: [("ordinary", -8...4), ("tiny", -140 ... -120), ("huge", 17...20)])
    func bf16RowsMatchTheOracle(label: String, exponents: ClosedRange<Int>) {
        var rng = SplitMix64(seed: 16)
        for (rows, columns) in Self.shapes + [(2, 48), (3, 17)] {
            let bits = Self.matrix(rows: rows, columns: columns, exponents: exponents, rng: &rng).map { UInt16($0.bitPattern >> 16) }
            let w = bits.map { Float(bitPattern: UInt32($0) << 16) }
            for scheme in Self.schemes {
                Self.expectOracle(Self.byBF16Rows(bits, rows: rows, columns: columns, scheme).0, w, rows: rows, columns: columns, scheme, label + " bf16")
            }
        }
    }

    /// bf16 values whose quotients by the scale are often exact half-integers (few mantissa bits).
    @Test func bf16TiesRoundToEven() {
        var rng = SplitMix64(seed: 5)
        let columns = 256
        let bits: [UInt16] = (0..<(4 * columns)).map { _ in
            UInt16((Float(Int.random(in: -14...14, using: &rng)) * 0.125).bitPattern >> 16)
        }
        let w = bits.map { Float(bitPattern: UInt32($0) << 16) }
        for scheme in Self.schemes {
            Self.expectOracle(Self.byBF16Rows(bits, rows: 4, columns: columns, scheme).0, w, rows: 4, columns: columns, scheme, "ties")
        }
    }

    @Test func statisticsReportWhatTheQuantizerSaw() {
        var rng = SplitMix64(seed: 9)
        let rows = 3, columns = 256
        let w = Self.matrix(rows: rows, columns: columns, exponents: -6...2, rng: &rng)
        let magnitude = w.map { abs($0) }.max() ?? 0
        for scheme in Self.schemes {
            let bf16 = w.map { UInt16($0.bitPattern >> 16) }
            let widened = bf16.map { Float(bitPattern: UInt32($0) << 16) }
            for (stats, values) in [(Self.byRows(w, rows: rows, columns: columns, scheme).1, w),
                                    (Self.byBF16Rows(bf16, rows: rows, columns: columns, scheme).1, widened)] {
                #expect(!stats.mayBeNonFinite, "\(scheme.name)")
                #expect(stats.maxMagnitude == values.map { abs($0) }.max(), "\(scheme.name)")
                if case .int4(_, true) = scheme {
                    #expect(stats.minimum == values.min() && stats.maximum == values.max(), "\(scheme.name)")
                }
            }
            #expect(Self.byRows(w, rows: rows, columns: columns, scheme).1.maxMagnitude == magnitude)
        }
        // A NaN or an infinity anywhere is reported, whichever path the row takes.
        for bad in [Float.nan, .infinity, -.infinity] {
            for position in [0, 37, 255, 300, 767] {
                var v = w
                v[position] = bad
                let bits = v.map { UInt16(truncatingIfNeeded: $0.bitPattern >> 16) }
                for scheme in Self.schemes {
                    #expect(Self.byRows(v, rows: rows, columns: columns, scheme).1.mayBeNonFinite, "\(bad) at \(position) \(scheme.name)")
                    #expect(Self.byBF16Rows(bits, rows: rows, columns: columns, scheme).1.mayBeNonFinite, "bf16 \(bad) at \(position) \(scheme.name)")
                }
            }
        }
    }
}
