import Foundation
@testable import Kernels
import Testing

/// The `avx2` blocked attention (online softmax over 64-key blocks, spans of 128 query rows)
/// against attention computed in Double, on shapes that cross every boundary it has: partial row
/// groups, blocks and spans, head sizes that are not a multiple of 16, grouped K/V heads, the
/// causal mask. The `generic` path (OpenBLAS) is held to the same reference.
@Suite struct BlockedAttentionTests {
    struct Case: Sendable, CustomStringConvertible {
        let length: Int, heads: Int, kvHeads: Int, headDim: Int, causal: Bool
        var description: String { "L\(length) h\(heads)/\(kvHeads) d\(headDim)\(causal ? " causal" : "")" }
    }

    static let cases: [Case] = [
        Case(length: 1, heads: 2, kvHeads: 1, headDim: 16, causal: true),
        Case(length: 3, heads: 2, kvHeads: 2, headDim: 20, causal: false),
        Case(length: 5, heads: 3, kvHeads: 1, headDim: 8, causal: true),
        Case(length: 63, heads: 2, kvHeads: 2, headDim: 64, causal: true),
        Case(length: 65, heads: 4, kvHeads: 2, headDim: 96, causal: true),
        Case(length: 129, heads: 2, kvHeads: 1, headDim: 80, causal: false),
        Case(length: 300, heads: 2, kvHeads: 2, headDim: 64, causal: false),
        Case(length: 333, heads: 4, kvHeads: 2, headDim: 96, causal: true),
    ]

    /// softmax(scale · q·kᵀ [masked]) · v per head, in Double.
    static func reference(_ q: [Float], _ k: [Float], _ v: [Float], _ c: Case, scale: Double) -> [Double] {
        let qStride = c.heads * c.headDim, kvStride = c.kvHeads * c.headDim, group = c.heads / c.kvHeads
        var out = [Double](repeating: 0, count: c.length * qStride)
        var weights = [Double](repeating: 0, count: c.length)
        for h in 0..<c.heads {
            let kh = h / group
            for i in 0..<c.length {
                let seen = c.causal ? i + 1 : c.length
                var m = -Double.infinity
                for j in 0..<seen {
                    var dot = 0.0
                    for d in 0..<c.headDim {
                        dot += Double(q[i * qStride + h * c.headDim + d]) * Double(k[j * kvStride + kh * c.headDim + d])
                    }
                    weights[j] = dot * scale
                    m = max(m, weights[j])
                }
                var sum = 0.0
                for j in 0..<seen { weights[j] = exp(weights[j] - m); sum += weights[j] }
                for d in 0..<c.headDim {
                    var acc = 0.0
                    for j in 0..<seen { acc += weights[j] * Double(v[j * kvStride + kh * c.headDim + d]) }
                    out[i * qStride + h * c.headDim + d] = acc / sum
                }
            }
        }
        return out
    }

    static func attention(_ q: [Float], _ k: [Float], _ v: [Float], _ c: Case, scale: Float, on isa: KernelISA) throws -> [Float] {
        var out = [Float](repeating: .nan, count: q.count)
        try q.withUnsafeBufferPointer { qb in
            try k.withUnsafeBufferPointer { kb in
                try v.withUnsafeBufferPointer { vb in
                    try out.withUnsafeMutableBufferPointer { ob in
                        let qp = try #require(qb.baseAddress), kp = try #require(kb.baseAddress)
                        let vp = try #require(vb.baseAddress), op = try #require(ob.baseAddress)
                        KernelISA.$forced.withValue(isa) {
                            Attention.selfAttention(q: qp, k: kp, v: vp, out: op, length: c.length, heads: c.heads,
                                                    kvHeads: c.kvHeads, headDim: c.headDim, scale: scale, causal: c.causal)
                        }
                    }
                }
            }
        }
        return out
    }

    @Test(arguments: cases)
    func matchesDoublePrecision(_ c: Case) throws {
        var rng = SplitMix64(seed: UInt64(c.length * 131 + c.headDim))
        // Scores spread over about ±12 so the softmax is far from uniform and the running max moves.
        func draw(_ n: Int) -> [Float] { (0..<n).map { _ in Float.random(in: -2...2, using: &rng) } }
        let q = draw(c.length * c.heads * c.headDim)
        let k = draw(c.length * c.kvHeads * c.headDim), v = draw(c.length * c.kvHeads * c.headDim)
        let scale = Float(1 / Double(c.headDim).squareRoot())
        let want = Self.reference(q, k, v, c, scale: Double(scale))
        for isa in KernelISA.available {
            let got = try Self.attention(q, k, v, c, scale: scale, on: isa)
            var worst = 0.0
            for (g, w) in zip(got, want) { worst = max(worst, abs(Double(g) - w)) }
            // |v| ≤ 2, so an output is within 2 of 0; fp32 accumulation over ≤ 333 keys.
            #expect(worst <= 2e-5, "\(isa) \(c): max |error| \(worst)")
            if worst > 2e-5 || c.length == 333 { print("ATTENTION \(isa) \(c): max |error| vs Double \(worst)") }
        }
    }

    /// A non-finite query row makes that row's outputs NaN on the blocked path and leaves the
    /// other rows as they were.
    @Test(.enabled(if: KernelISA.avx2.isSupported()))
    func nonFiniteQueryRowStaysNonFinite() throws {
        let c = Case(length: 70, heads: 1, kvHeads: 1, headDim: 32, causal: true)
        var rng = SplitMix64(seed: 9)
        var q = (0..<(c.length * c.headDim)).map { _ in Float.random(in: -1...1, using: &rng) }
        let k = (0..<(c.length * c.headDim)).map { _ in Float.random(in: -1...1, using: &rng) }
        let v = (0..<(c.length * c.headDim)).map { _ in Float.random(in: -1...1, using: &rng) }
        let clean = try Self.attention(q, k, v, c, scale: 0.2, on: .avx2)
        q[66 * c.headDim + 5] = .nan
        let got = try Self.attention(q, k, v, c, scale: 0.2, on: .avx2)
        for i in 0..<c.length {
            let row = got[(i * c.headDim)..<((i + 1) * c.headDim)], before = clean[(i * c.headDim)..<((i + 1) * c.headDim)]
            if i == 66 {
                #expect(row.allSatisfy { $0.isNaN }, "row 66: \(Array(row.prefix(3)))")
            } else {
                #expect(zip(row, before).allSatisfy { $0.bitPattern == $1.bitPattern }, "row \(i) changed")
            }
        }
    }
}
