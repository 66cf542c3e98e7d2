@testable import Kernels
import Testing

/// `WeightMatrix.apply` over int8/int4 storage against y = x·W'ᵀ + b computed in Double from the
/// oracle's W' values, on odd shapes, for both kernels (direct and widen + sgemm) and both
/// thread counts.
///
/// Tolerance: any fp32 evaluation (any summation order, with or without FMA) of a k-term dot
/// product plus a bias satisfies |ŷ − y| ≤ γ(k+1) · (Σ|xⱼ·W'ⱼ| + |b|), γ(m) = m·u/(1 − m·u),
/// u = 2⁻²⁴ (Higham, Accuracy and Stability, §3.1). We check each element against that bound,
/// computed per element; one wrong code would exceed it by orders of magnitude.
@Suite(.serialized) struct QuantizedApplyTests {
    static let schemes: [QuantScheme] = [
        .int8, .int4(group: 32, asymmetric: false), .int4(group: 64, asymmetric: false), .int4(group: 128, asymmetric: false),
        .int4(group: 32, asymmetric: true), .int4(group: 128, asymmetric: true), .int4(group: 16, asymmetric: true),
        .int4(group: 7, asymmetric: false),
    ]
    static let shapes: [(rows: Int, columns: Int)] = [(1, 1), (2, 15), (33, 17), (7, 33), (16, 47), (5, 100), (9, 130), (3, 257), (1, 300)]
    static let counts = [1, 2, 3, 7, 64]

    typealias Path = WeightApplyPath

    static func run(_ w: WeightMatrix, _ x: [Float], n: Int, ldy: Int, bias: [Float]?, _ path: Path) throws -> [Float] {
        try runWeightApply(w, x, n: n, ldy: ldy, bias: bias, path)
    }

    @Test(arguments: [1, 2])
    func matchesDoubleReference(threads: Int) throws {
        let saved = Parallel.threadCount
        Parallel.setThreadCount(threads)
        defer { Parallel.setThreadCount(saved) }
        var rng = SplitMix64(seed: UInt64(100 + threads))
        var worstRatio = 0.0, checked = 0
        for scheme in Self.schemes {
            for (rows, columns) in Self.shapes {
                let w = (0..<(rows * columns)).map { _ in Float.random(in: -1...1, using: &rng) }
                let bias = (0..<rows).map { _ in Float.random(in: -1...1, using: &rng) }
                let oracle = OracleQuantizer(w, rows: rows, columns: columns, scheme: scheme)
                let matrix = quantized(w, rows: rows, columns: columns, scheme).1
                #expect(valueMismatches(matrix.floats(), oracle.values) == 0, "\(scheme.name) \(rows)×\(columns) W'")
                for n in Self.counts {
                    let x = (0..<(n * columns)).map { _ in Float.random(in: -2...2, using: &rng) }
                    let ldy = rows + 3
                    for path in Path.allCases {
                        let useBias = path != .widened
                        let y = try Self.run(matrix, x, n: n, ldy: ldy, bias: useBias ? bias : nil, path)
                        let result = summationBoundFailures(y, x: try weightApplyInputs(matrix, x, n: n, path), values: oracle.values, bias: useBias ? bias : nil,
                                                            rows: rows, columns: columns, n: n, ldy: ldy)
                        let failures = result.failures
                        worstRatio = max(worstRatio, result.worst)
                        checked += result.checked
                        #expect(failures == 0, "\(scheme.name) \(rows)×\(columns) n=\(n) \(path.rawValue) threads=\(threads)")
                    }
                }
            }
        }
        print("QUANT-APPLY threads=\(threads): \(checked) outputs, worst error / bound = \(worstRatio)")
    }

    /// A weight larger than one widening tile (2²⁰ values) takes two tiles; also checks a
    /// quantized matrix against its own floats() through sgemm on fp32 storage.
    @Test func multiTileMatchesFloatStorage() throws {
        let rows = 1030, columns = 1024, n = 9
        var rng = SplitMix64(seed: 77)
        let w = (0..<(rows * columns)).map { _ in Float.random(in: -0.5...0.5, using: &rng) }
        let x = (0..<(n * columns)).map { _ in Float.random(in: -1...1, using: &rng) }
        for scheme in [QuantScheme.int8, .int4(group: 64, asymmetric: true)] {
            let matrix = quantized(w, rows: rows, columns: columns, scheme).1
            let dense = WeightMatrix(rows: rows, columns: columns, values: matrix.floats())
            for count in [1, n] {
                let xs = Array(x.prefix(count * columns))
                let got = try Self.run(matrix, xs, n: count, ldy: rows, bias: nil, .apply)
                let want = try Self.run(dense, try weightApplyInputs(matrix, xs, n: count, .apply), n: count, ldy: rows, bias: nil, .apply)
                // Same W' values; only the summation order may differ (bound as above, k = 1024,
                // Σ|x·w| ≤ 1024 · 1 · 0.5, for both results).
                let bound = 2 * Double(columns + 1) * 0x1p-24 * Double(columns) * 0.5
                let worst = zip(got, want).map { abs(Double($0) - Double($1)) }.max() ?? 0
                #expect(worst <= bound, "\(scheme.name) n=\(count): \(worst) > \(bound)")
            }
        }
    }

    /// int4 and int8 rows read at any row range give the same values as the whole matrix.
    @Test func widenRowsOfASubrange() throws {
        var rng = SplitMix64(seed: 9)
        let rows = 6, columns = 45
        let w = (0..<(rows * columns)).map { _ in Float.random(in: -3...3, using: &rng) }
        for scheme in [QuantScheme.int8, .int4(group: 32, asymmetric: false), .int4(group: 7, asymmetric: true)] {
            let matrix = quantized(w, rows: rows, columns: columns, scheme).1
            let all = matrix.floats()
            var part = [Float](repeating: 0, count: 3 * columns)
            try part.withUnsafeMutableBufferPointer { matrix.widenRows(2..<5, into: try #require($0.baseAddress)) }
            #expect(part == Array(all[(2 * columns)..<(5 * columns)]), "\(scheme.name)")
        }
    }
}
