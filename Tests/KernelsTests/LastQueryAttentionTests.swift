@testable import Kernels
import Testing

/// `Attention.lastQuery` is the last row of the full causal attention.
@Suite struct LastQueryAttentionTests {
    @Test(arguments: [(1, 4, 4), (7, 8, 2), (65, 4, 1), (300, 6, 3)])
    func equalsTheLastRowOfCausalAttention(length: Int, heads: Int, kvHeads: Int) throws {
        let headDim = 16
        var rng = SplitMix64(seed: UInt64(length * 31 + heads))
        let q = (0..<(length * heads * headDim)).map { _ in Float.random(in: -2...2, using: &rng) }
        let k = (0..<(length * kvHeads * headDim)).map { _ in Float.random(in: -2...2, using: &rng) }
        let v = (0..<(length * kvHeads * headDim)).map { _ in Float.random(in: -2...2, using: &rng) }
        var full = [Float](repeating: .nan, count: length * heads * headDim)
        var last = [Float](repeating: .nan, count: heads * headDim)
        let scale = 1 / Float(headDim).squareRoot()
        try q.withUnsafeBufferPointer { qb in
            try k.withUnsafeBufferPointer { kb in
                try v.withUnsafeBufferPointer { vb in
                    let qp = try #require(qb.baseAddress), kp = try #require(kb.baseAddress), vp = try #require(vb.baseAddress)
                    try full.withUnsafeMutableBufferPointer { fb in
                        Attention.selfAttention(q: qp, k: kp, v: vp, out: try #require(fb.baseAddress), length: length,
                                                heads: heads, kvHeads: kvHeads, headDim: headDim, scale: scale, causal: true)
                    }
                    try last.withUnsafeMutableBufferPointer { lb in
                        Attention.lastQuery(q: qp + (length - 1) * heads * headDim, k: kp, v: vp, out: try #require(lb.baseAddress),
                                            length: length, heads: heads, kvHeads: kvHeads, headDim: headDim, scale: scale)
                    }
                }
            }
        }
        let want = full.suffix(heads * headDim)
        // Outputs are convex combinations of values in [-2, 2]; only the summation order differs.
        let worst = zip(last, want).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-5, "length \(length): max |Δ| \(worst)")
    }
}
