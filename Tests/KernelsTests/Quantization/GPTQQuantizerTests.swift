import Foundation
@testable import Kernels
import Testing

/// `GPTQQuantizer`: its linear algebra, its reduction to the searched coding when H has no
/// correlations, and the output error it is built to lower.
@Suite struct GPTQQuantizerTests {
    static func gaussian(_ count: Int, _ rng: inout SplitMix64) -> [Float] { SearchedScaleQuantizerTests.gaussian(count, &rng) }

    /// E[xᵀx] of `n` rows of `x` (`columns` wide), in Double.
    static func secondMoments(_ x: [Float], n: Int, columns c: Int) -> [Double] {
        var h = [Double](repeating: 0, count: c * c)
        for r in 0..<n { for i in 0..<c { for j in 0..<c { h[i * c + j] += Double(x[r * c + i]) * Double(x[r * c + j]) / Double(n) } } }
        return h
    }

    @Test func inverseCholeskyFactorInvertsTheDampenedMatrix() {
        var rng = SplitMix64(seed: 5)
        let c = 37, n = 200
        let x = Self.gaussian(n * c, &rng)
        let h = Self.secondMoments(x, n: n, columns: c)
        let u = GPTQQuantizer.inverseCholeskyUpper(h, n: c)
        // (UᵀU)(H + λI) = I with λ = 10% of H's mean diagonal.
        let lambda = GPTQQuantizer.dampening * (0..<c).map { h[$0 * c + $0] }.reduce(0, +) / Double(c)
        var worst = 0.0
        for i in 0..<c {
            for j in 0..<c {
                var s = 0.0
                for k in 0..<c {
                    var inv = 0.0
                    for m in 0..<c { inv += u[m * c + i] * u[m * c + k] }
                    s += inv * (h[k * c + j] + (k == j ? lambda : 0))
                }
                worst = max(worst, abs(s - (i == j ? 1 : 0)))
                if j < i { #expect(u[i * c + j] == 0) }
            }
        }
        #expect(worst < 1e-9, "worst deviation from the identity \(worst)")
    }

    /// With H = c·I nothing is correlated: no error is fed forward and every group is coded as
    /// the importance search with constant weights codes it.
    @Test func uncorrelatedInputsGiveTheSearchedCoding() {
        var rng = SplitMix64(seed: 6)
        for scheme in [QuantScheme.int4(group: 32, asymmetric: false), .int4(group: 64, asymmetric: true)] {
            let rows = 9, columns = 192
            let w = Self.gaussian(rows * columns, &rng).map { $0 * 0.05 }
            var h = [Double](repeating: 0, count: columns * columns)
            for i in 0..<columns { h[i * columns + i] = 2.5 }
            let gptq = GPTQQuantizer.quantize(w, rows: rows, columns: columns, scheme: scheme, h: h)
            let searched = w.withUnsafeBufferPointer {
                WeightQuantizer.quantize($0, rows: rows, columns: columns, scheme: scheme, method: .importance,
                                         importance: [Float](repeating: 1, count: columns))
            }
            #expect(gptq == searched, "\(scheme.name)")
        }
    }

    /// On correlated inputs the layer's output error ‖X(W − W')ᵀ‖² is what GPTQ lowers: below the
    /// importance search's (same grid, same group weights), on held-out rows from the same distribution.
    @Test func lowersTheOutputErrorOnCorrelatedInputs() {
        var rng = SplitMix64(seed: 7)
        let rows = 24, columns = 128, n = 512
        // x = z·M with a random mixing matrix: strongly correlated columns of unequal scale.
        let mix = Self.gaussian(columns * columns, &rng).map { $0 / Float(columns).squareRoot() }
        func sample(_ count: Int) -> [Float] {
            let z = Self.gaussian(count * columns, &rng)
            var x = [Float](repeating: 0, count: count * columns)
            for r in 0..<count { for j in 0..<columns { var s: Float = 0; for k in 0..<columns { s += z[r * columns + k] * mix[k * columns + j] }; x[r * columns + j] = s * Float(1 + j % 5) } }
            return x
        }
        let calibration = sample(n), heldOut = sample(n)
        let h = Self.secondMoments(calibration, n: n, columns: columns)
        let w = Self.gaussian(rows * columns, &rng).map { $0 * 0.1 }
        let scheme = QuantScheme.int4(group: 32, asymmetric: false)
        let importance = (0..<columns).map { Float(h[$0 * columns + $0]) }
        func outputError(_ bytes: QuantizedBytes, _ x: [Float]) -> Double {
            let wq = WeightMatrix(rows: rows, columns: columns, scheme: scheme, bytes: bytes).floats()
            var e = 0.0
            for r in 0..<n { for o in 0..<rows {
                var d = 0.0
                for j in 0..<columns { d += Double(x[r * columns + j]) * (Double(w[o * columns + j]) - Double(wq[o * columns + j])) }
                e += d * d
            } }
            return e
        }
        let gptq = GPTQQuantizer.quantize(w, rows: rows, columns: columns, scheme: scheme, h: h)
        let searched = w.withUnsafeBufferPointer { WeightQuantizer.quantize($0, rows: rows, columns: columns, scheme: scheme, method: .importance, importance: importance) }
        let rtn = w.withUnsafeBufferPointer { WeightQuantizer.quantize($0, rows: rows, columns: columns, scheme: scheme) }
        let (eg, es, er) = (outputError(gptq, heldOut), outputError(searched, heldOut), outputError(rtn, heldOut))
        print("GPTQ held-out output error: gptq \(eg / er), importance \(es / er) of rtn")
        #expect(eg < 0.8 * es, "gptq \(eg) vs importance \(es)")
        #expect(es < er)
        // Deterministic: the same bytes again.
        #expect(GPTQQuantizer.quantize(w, rows: rows, columns: columns, scheme: scheme, h: h) == gptq)
    }
}
