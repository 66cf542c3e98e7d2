import Kernels
import Testing

/// GELU (erf), quick_gelu, SiLU·up and row softmax against PyTorch (fp32).
@Suite struct ActivationTests {
    let fx: KernelFixture
    let x: [Float]
    init() throws {
        fx = try KernelFixture("activations.safetensors")
        x = try fx.floats("x")
    }

    @Test func geluMatchesExactErfGELU() throws {
        let y = try inPlace(x) { Activations.gelu($0, count: x.count) }
        let d = Deviation(y, try fx.floats("gelu"))
        report("gelu (erf)", d)
        #expect(d.maxAbs <= d.budget)
    }

    @Test func quickGELUMatchesCLIP() throws {
        let y = try inPlace(x) { Activations.quickGELU($0, count: x.count) }
        let d = Deviation(y, try fx.floats("quick_gelu"))
        report("quickGELU", d)
        #expect(d.maxAbs <= d.budget)
    }

    @Test func siluMultiplyMatchesSwiGLU() throws {
        let up = try fx.floats("silu_up")
        var out = [Float](repeating: .nan, count: x.count)
        x.withUnsafeBufferPointer { g in
            up.withUnsafeBufferPointer { u in
                out.withUnsafeMutableBufferPointer { o in
                    guard let gp = g.baseAddress, let upp = u.baseAddress, let op = o.baseAddress else { return }
                    Activations.siluMultiply(gate: gp, up: upp, out: op, count: x.count)
                }
            }
        }
        let d = Deviation(out, try fx.floats("silu_mul"))
        report("siluMultiply", d)
        #expect(d.maxAbs <= d.budget)
    }

    @Test(arguments: [false, true])
    func softmaxRowsMatchesTorch(causal: Bool) throws {
        let name = causal ? "softmax_causal" : "softmax"
        let s = try fx.floats("\(name).x")
        let shape = try fx.shape("\(name).x")
        let y = try inPlace(s) { Attention.softmaxRows($0, rows: shape[0], width: shape[1], causal: causal) }
        let d = Deviation(y, try fx.floats("\(name).y"))
        report("softmaxRows causal=\(causal)", d)
        #expect(d.maxAbs <= d.budget)
    }
}
