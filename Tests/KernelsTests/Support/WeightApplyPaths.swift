@testable import Kernels
import Testing

/// The three ways a `WeightMatrix` product can run with the exact W' values, for tests that
/// compare them (`apply` on the `generic` path; the `avx2` integer product, which also rounds the
/// inputs, has its own tests in `Int16ProductTests`).
enum WeightApplyPath: String, CaseIterable { case apply, direct, widened }

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
