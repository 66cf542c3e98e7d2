import Foundation
import Kernels
import Testing

/// The quantizer's bytes and read-back values against `OracleQuantizer` (a plain element-by-
/// element reading of the pinned formulas) on random matrices of awkward shapes, and on edge
/// cases: zero rows and groups, constant groups, huge and tiny magnitudes, exact ties.
@Suite struct WeightQuantizerOracleTests {
    static let schemes: [QuantScheme] = [
        .f32, .f16, .bf16, .int8,
        .int4(group: 32, asymmetric: false), .int4(group: 64, asymmetric: false), .int4(group: 128, asymmetric: false),
        .int4(group: 32, asymmetric: true), .int4(group: 128, asymmetric: true),
        .int4(group: 16, asymmetric: false), .int4(group: 5, asymmetric: true), .int4(group: 7, asymmetric: false),
    ]

    /// Compares bytes and values with the oracle; returns the number of elements checked.
    @discardableResult
    static func check(_ w: [Float], rows: Int, columns: Int, _ scheme: QuantScheme, _ label: String) -> Int {
        let oracle = OracleQuantizer(w, rows: rows, columns: columns, scheme: scheme)
        let (bytes, matrix) = quantized(w, rows: rows, columns: columns, scheme)
        let want = oracle.bytes
        #expect(bytes.data == want.data, "\(label) \(scheme.name) \(rows)×\(columns): data")
        #expect(bytes.scales == want.scales, "\(label) \(scheme.name) \(rows)×\(columns): scales")
        #expect(bytes.zeros == want.zeros, "\(label) \(scheme.name) \(rows)×\(columns): zeros")
        let mismatches = valueMismatches(matrix.floats(), oracle.values)
        #expect(mismatches == 0, "\(label) \(scheme.name) \(rows)×\(columns): \(mismatches) values differ")
        return w.count
    }

    @Test func randomMatricesMatchTheOracle() {
        var rng = SplitMix64(seed: 21)
        var checked = 0
        for (rows, columns) in [(1, 1), (3, 17), (5, 48), (2, 63), (4, 100), (3, 130), (33, 31), (2, 257)] {
            // Mixed magnitudes (a per-row spread of 2⁻⁸…2⁸) so groups differ in scale.
            let w: [Float] = (0..<rows).flatMap { _ in
                let spread = Float.random(in: -8...8, using: &rng)
                return (0..<columns).map { _ in Float.random(in: -1...1, using: &rng) * Float(pow(2.0, Double(spread))) }
            }
            for scheme in Self.schemes { checked += Self.check(w, rows: rows, columns: columns, scheme, "random") }
        }
        print("QUANT-ORACLE random: \(checked) elements")
    }

    @Test func zeroRowsAndGroups() {
        let columns = 70
        var w = [Float](repeating: 0, count: 3 * columns)
        for j in 0..<32 { w[columns + j] = Float(j) - 15.5 }       // row 1: only the first group of 32 is nonzero
        w[2 * columns + 69] = -0.0                                   // row 2: all zero (one -0.0)
        for scheme in Self.schemes { Self.check(w, rows: 3, columns: columns, scheme, "zero rows") }
        // Explicitly: a zero group has scale 0, symmetric nibbles 8, asymmetric nibbles and zero point 0.
        let (sym, symMatrix) = quantized(w, rows: 3, columns: columns, .int4(group: 32, asymmetric: false))
        #expect(sym.data[0..<35].allSatisfy { $0 == 0x88 })
        #expect(sym.scales[0..<6].allSatisfy { $0 == 0 })
        #expect(symMatrix.floats()[0..<columns].allSatisfy { $0 == 0 })
        let (asym, _) = quantized(w, rows: 3, columns: columns, .int4(group: 32, asymmetric: true))
        #expect(asym.data[0..<35].allSatisfy { $0 == 0 } && asym.zeros[0..<3].allSatisfy { $0 == 0 })
        let (int8, _) = quantized(w, rows: 3, columns: columns, .int8)
        #expect(int8.scales[8..<12].allSatisfy { $0 == 0 } && int8.data[(2 * columns)...].allSatisfy { $0 == 0 })
    }

    @Test func constantGroups() {
        // Groups of 8: constant positive, constant negative, constant zero, one mixed.
        let w: [Float] = [Float](repeating: 3.25, count: 8) + [Float](repeating: -0.75, count: 8)
            + [Float](repeating: 0, count: 8) + (0..<8).map { Float($0) }
        for scheme in Self.schemes { Self.check(w, rows: 1, columns: 32, scheme, "constant") }
        // Asymmetric s = 0 → W' = 0 (README); symmetric keeps ±7·f16(|c|/7).
        let asym = quantized(w, rows: 1, columns: 32, .int4(group: 8, asymmetric: true)).1.floats()
        #expect(asym[0..<24].allSatisfy { $0 == 0 })
        let sym = quantized(w, rows: 1, columns: 32, .int4(group: 8, asymmetric: false)).1.floats()
        #expect(sym[0] == 7 * Float(Float16(Float(3.25) / 7)) && sym[8] == -7 * Float(Float16(Float(0.75) / 7)))
    }

    @Test func hugeAndTinyMagnitudes() {
        var rng = SplitMix64(seed: 5)
        let columns = 40
        let magnitudes: [Float] = [
            3e38, Float.greatestFiniteMagnitude, 1e30, 4e5, 65504 * 7, 1e6,  // int4 scales beyond float16 range → inf
            1e-30, 1e-38, 0x1p-133, 0x1.8p-146, .leastNonzeroMagnitude,             // fp32 subnormal inputs and scales
            1e-5, 6e-8, 1e-9,                                                 // float16 subnormal or flushed scales
        ]
        var w: [Float] = []
        for m in magnitudes { w += (0..<columns).map { _ in Float.random(in: -1...1, using: &rng) * m } }
        let rows = magnitudes.count
        for scheme in Self.schemes { Self.check(w, rows: rows, columns: columns, scheme, "magnitudes") }
        // int8 scales stay float32, so huge and tiny rows keep |W' - W| ≤ s/2 when s is normal.
        let oracle = OracleQuantizer(w, rows: rows, columns: columns, scheme: .int8)
        let values = quantized(w, rows: rows, columns: columns, .int8).1.floats()
        for r in 0..<rows where oracle.scales[r].isNormal {
            for j in 0..<columns {
                let i = r * columns + j
                #expect(abs(Double(values[i]) - Double(w[i])) <= Double(oracle.scales[r]) * 0.5000001, "row \(r) col \(j)")
            }
        }
    }

    /// Values that land exactly on .5 after division round half to even, clamping comes after.
    @Test func tiesRoundToEven() {
        let w: [Float] = [127, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 126.5, -126.5, -127]
        let (bytes, matrix) = quantized(w, rows: 1, columns: w.count, .int8)
        #expect(bytes.data.map { Int8(bitPattern: $0) } == [127, 0, 2, 2, 0, -2, -2, 126, -126, -127])
        #expect(matrix.floats() == [127, 0, 2, 2, 0, -2, -2, 126, -126, -127])
        Self.check(w, rows: 1, columns: w.count, .int8, "ties")
    }
}
