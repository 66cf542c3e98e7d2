@testable import Kernels
import Testing

/// The three ways a `WeightMatrix` product can run with the exact W' values, for tests that
/// compare them (`apply` on the `generic` path; the `avx2` integer products, which also round the
/// inputs, have their own tests in `Int16ProductTests` and `Int8InputProductTests`).
enum WeightApplyPath: String, CaseIterable { case apply, direct, widened }

/// The inputs `path` multiplies by W': for `apply` on 4-bit weights in whole 32-column blocks,
/// from `QuantizedDirectProduct.inputLimit` rows on, the 8-bit-rounded inputs every path uses
/// (`Int8InputProduct.roundedInputs`); otherwise `x` itself.
func weightApplyInputs(_ w: WeightMatrix, _ x: [Float], n: Int, _ path: WeightApplyPath) throws -> [Float] {
    guard path == .apply, n >= QuantizedDirectProduct.inputLimit, Int8InputProduct.codeRows(w) != nil else { return x }
    return try x.withUnsafeBufferPointer { Int8InputProduct.roundedInputs(try #require($0.baseAddress), count: n, columns: w.columns) }
}

/// y (n × ldy, padding NaN) by one path; the bias is added after `direct`/`widened` as `apply` does.
func runWeightApply(_ w: WeightMatrix, _ x: [Float], n: Int, ldy: Int, bias: [Float]?, _ path: WeightApplyPath) throws -> [Float] {
    var y = [Float](repeating: .nan, count: n * ldy)
    try x.withUnsafeBufferPointer { xb in
        try y.withUnsafeMutableBufferPointer { yb in
            let xp = try #require(xb.baseAddress), yp = try #require(yb.baseAddress)
            switch path {
            case .apply: KernelISA.$forced.withValue(.generic) { w.apply(xp, count: n, into: yp, ldy: ldy, bias: bias) }
            case .direct: w.applyDirect(xp, count: n, into: yp, ldy: ldy)
            case .widened: w.applyByWidening(xp, count: n, into: yp, ldy: ldy)
            }
        }
    }
    if path != .apply, let bias {
        for i in 0..<n { for r in 0..<w.rows { y[i * ldy + r] += bias[r] } }
    }
    return y
}

/// Elements of y (n × ldy) outside the Higham bound γ₍ₖ₊₁₎·Σ|xⱼwⱼ| around x·Wᵀ + b computed in
/// Double from `values`, plus rows whose padding columns (rows..<ldy, NaN-filled) were written;
/// the worst error / bound; and how many outputs were checked.
func summationBoundFailures(_ y: [Float], x: [Float], values: [Float], bias: [Float]?, rows: Int, columns: Int, n: Int, ldy: Int)
    -> (failures: Int, worst: Double, checked: Int) {
    var failures = 0, worst = 0.0, checked = 0
    for i in 0..<n {
        for r in 0..<rows {
            var exact = bias.map { Double($0[r]) } ?? 0, magnitude = abs(exact)
            for j in 0..<columns {
                let p = Double(x[i * columns + j]) * Double(values[r * columns + j])
                exact += p
                magnitude += abs(p)
            }
            let m = Double(columns + 1) * 0x1p-24
            let bound = m / (1 - m) * magnitude + 0x1p-149
            let err = abs(Double(y[i * ldy + r]) - exact)
            if !(err <= bound) { failures += 1 }
            worst = max(worst, err / bound)
            checked += 1
        }
        if !y[(i * ldy + rows)..<(i * ldy + ldy)].allSatisfy({ $0.isNaN }) { failures += 1 }
    }
    return (failures, worst, checked)
}
