#if canImport(Glibc)
import Glibc
#endif

/// Rotary position embedding in the half-split ("rotate_half") layout: element j of a head is
/// rotated with element j + d/2. Tables are computed in fp32 exactly as upstream does:
/// inv_j = 1 / (f_j · base^(2j/d)), θ = fp32(p) · inv_j, C = s·cos θ, S = s·sin θ.
public struct RotaryEmbedding: Sendable {
    public let headDim: Int
    public let positions: Int
    /// [positions × headDim/2] cosines and sines (already multiplied by the attention scale).
    public let cos: [Float]
    public let sin: [Float]

    /// - Parameters:
    ///   - factors: per-frequency divisors (LongRoPE short/long factors), or nil for plain RoPE.
    ///   - scale: multiplies cos and sin (LongRoPE's attention scaling; 1 for plain RoPE).
    public init(headDim: Int, positions: Int, base: Float, factors: [Float]? = nil, scale: Float = 1) {
        precondition(headDim % 2 == 0, "RoPE head dimension must be even")
        let half = headDim / 2
        self.headDim = headDim
        self.positions = positions
        var inv = [Float](repeating: 0, count: half)
        for j in 0..<half {
            let exponent = Float(2 * j) / Float(headDim)
            let p = powf(base, exponent)
            inv[j] = 1 / ((factors?[j] ?? 1) * p)
        }
        var c = [Float](repeating: 0, count: positions * half)
        var s = [Float](repeating: 0, count: positions * half)
        for p in 0..<positions {
            for j in 0..<half {
                let theta = Float(p) * inv[j]
                c[p * half + j] = cosf(theta) * scale
                s[p * half + j] = sinf(theta) * scale
            }
        }
        cos = c
        sin = s
    }

    /// Rotates `heads` heads of every row of `x` (`[rows × stride]`, head h at column offset h·headDim),
    /// row r at position `firstPosition + r`.
    public func apply(_ x: UnsafeMutablePointer<Float>, rows: Int, stride: Int, heads: Int, firstPosition: Int = 0) {
        let half = headDim / 2
        precondition(firstPosition >= 0 && firstPosition + rows <= positions, "RoPE: rows past the table's positions")
        cos.withUnsafeBufferPointer { cb in
            sin.withUnsafeBufferPointer { sb in
                let c = UncheckedSendable(cb), s = UncheckedSendable(sb)
                Parallel.forEach(rows) { r in
                    let p = firstPosition + r
                    let cp = c.value.baseAddress! + p * half
                    let sp = s.value.baseAddress! + p * half
                    for h in 0..<heads {
                        let v = x + r * stride + h * headDim
                        for j in 0..<half {
                            let x1 = v[j], x2 = v[j + half]
                            v[j] = x1 * cp[j] - x2 * sp[j]
                            v[j + half] = x2 * cp[j] + x1 * sp[j]
                        }
                    }
                }
            }
        }
    }
}
