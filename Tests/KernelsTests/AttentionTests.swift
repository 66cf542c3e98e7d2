import Kernels
import Testing

/// `Attention.selfAttention` against transformers' eager attention (fp32 softmax, finfo.min mask).
@Suite struct AttentionTests {
    struct Case: Sendable, CustomStringConvertible {
        let name: String, length: Int, heads: Int, kvHeads: Int, headDim: Int, causal: Bool
        var description: String { name }
    }

    static let cases = [
        Case(name: "gqa", length: 37, heads: 4, kvHeads: 2, headDim: 16, causal: true),
        Case(name: "clip", length: 300, heads: 8, kvHeads: 8, headDim: 64, causal: false),
    ]

    @Test(arguments: cases)
    func matchesEagerAttention(_ c: Case) throws {
        let fx = try KernelFixture("attention.safetensors")
        let q = try fx.floats("\(c.name).q"), k = try fx.floats("\(c.name).k"), v = try fx.floats("\(c.name).v")
        try #require(q.count == c.length * c.heads * c.headDim && k.count == c.length * c.kvHeads * c.headDim)
        var out = [Float](repeating: .nan, count: q.count)
        let scale = Float(1 / Double(c.headDim).squareRoot())
        try q.withUnsafeBufferPointer { qb in
            try k.withUnsafeBufferPointer { kb in
                try v.withUnsafeBufferPointer { vb in
                    try out.withUnsafeMutableBufferPointer { ob in
                        Attention.selfAttention(
                            q: try #require(qb.baseAddress), k: try #require(kb.baseAddress),
                            v: try #require(vb.baseAddress), out: try #require(ob.baseAddress),
                            length: c.length, heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim,
                            scale: scale, causal: c.causal)
                    }
                }
            }
        }
        let d = Deviation(out, try fx.floats("\(c.name).out"))
        report("attention \(c.name) L\(c.length) h\(c.heads) kv\(c.kvHeads) d\(c.headDim)", d)
        #expect(d.relative <= 1e-5)
    }
}
