#if canImport(Glibc)
import Glibc
#endif

/// Row-wise normalisations over `[rows × width]` row-major fp32 data, in place.
public enum Normalization {
    /// RMSNorm: y = γ ⊙ (x / √(mean(x²) + ε)) (Phi-3, Mistral).
    public static func rmsNorm(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, weight: UnsafePointer<Float>, eps: Float) {
        Parallel.forEach(rows) { r in
            let row = x + r * width
            var sum: Float = 0
            for j in 0..<width { sum += row[j] * row[j] }
            let scale = 1 / (sum / Float(width) + eps).squareRoot()
            for j in 0..<width { row[j] = weight[j] * (row[j] * scale) }
        }
    }

    /// LayerNorm: y = (x − μ)/√(σ² + ε) ⊙ γ + β with the biased variance (CLIP).
    public static func layerNorm(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int,
                                 weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, eps: Float) {
        Parallel.forEach(rows) { r in
            let row = x + r * width
            var mean: Float = 0
            for j in 0..<width { mean += row[j] }
            mean /= Float(width)
            var variance: Float = 0
            for j in 0..<width { let d = row[j] - mean; variance += d * d }
            variance /= Float(width)
            let inv = 1 / (variance + eps).squareRoot()
            for j in 0..<width { row[j] = (row[j] - mean) * inv * weight[j] + bias[j] }
        }
    }

    /// L2 normalisation: e = v / max(‖v‖₂, 1e-12) (`F.normalize`).
    public static func l2Normalized(_ v: [Float]) -> [Float] {
        var sum: Double = 0
        for x in v { sum += Double(x) * Double(x) }
        let norm = max(Float(sum.squareRoot()), 1e-12)
        return v.map { $0 / norm }
    }
}
