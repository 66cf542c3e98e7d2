import Kernels
import Testing

/// RMSNorm, LayerNorm and L2 normalisation against transformers / torch.nn.functional (fp32).
@Suite struct NormalizationTests {
    let fx: KernelFixture
    init() throws { fx = try KernelFixture("norms.safetensors") }

    @Test(arguments: [64, 3072])
    func rmsNormMatchesPhi3RMSNorm(width: Int) throws {
        let x = try fx.floats("rms\(width).x")
        let weight = try fx.floats("rms\(width).weight")
        let rows = x.count / width
        let y = try inPlace(x) { p in
            weight.withUnsafeBufferPointer { w in
                guard let wp = w.baseAddress else { return }
                Normalization.rmsNorm(p, rows: rows, width: width, weight: wp, eps: 1e-5)
            }
        }
        let d = Deviation(y, try fx.floats("rms\(width).y"))
        report("rmsNorm w\(width)", d)
        #expect(d.maxAbs <= d.budget)
    }

    @Test func layerNormMatchesTorch() throws {
        let x = try fx.floats("ln.x"), weight = try fx.floats("ln.weight"), bias = try fx.floats("ln.bias")
        let width = weight.count
        let y = try inPlace(x) { p in
            weight.withUnsafeBufferPointer { w in
                bias.withUnsafeBufferPointer { b in
                    guard let wp = w.baseAddress, let bp = b.baseAddress else { return }
                    Normalization.layerNorm(p, rows: x.count / width, width: width, weight: wp, bias: bp, eps: 1e-5)
                }
            }
        }
        let d = Deviation(y, try fx.floats("ln.y"))
        report("layerNorm w1024", d)
        #expect(d.maxAbs <= d.budget)
    }

    @Test func l2NormalizedMatchesFNormalize() throws {
        let d = Deviation(Normalization.l2Normalized(try fx.floats("l2.x")), try fx.floats("l2.y"))
        report("l2Normalized n4096", d)
        #expect(d.maxAbs <= d.budget)
    }

    @Test func l2NormalizedOfZeroIsZero() {
        #expect(Normalization.l2Normalized([0, 0, 0]) == [0, 0, 0])
    }
}
