import Kernels
import ModelGraph

/// A linear layer y = x·Wᵀ (+ b) bound to graph tensors `<prefix>.weight` and optional `<prefix>.bias`.
struct LinearLayer: Sendable {
    /// The weight's canonical name (`<prefix>.weight`).
    let name: String
    let weight: WeightMatrix
    let bias: [Float]?

    init(_ graph: ModelGraph, _ prefix: String, bias hasBias: Bool) throws {
        name = prefix + ".weight"
        weight = try graph.matrix(name)
        bias = hasBias ? try graph.floats(prefix + ".bias") : nil
    }

    var outputs: Int { weight.rows }
    var inputs: Int { weight.columns }

    /// Applies to `count` rows of `x`, writing `[count × outputs]` (row stride `ldy`).
    func apply(_ x: UnsafePointer<Float>, count: Int, into y: UnsafeMutablePointer<Float>, ldy: Int? = nil) {
        if let statistics = LinearInputStatistics.current { statistics.add(name, x, rows: count, columns: inputs) }
        weight.apply(x, count: count, into: y, ldy: ldy, bias: bias)
    }

    /// Applies to `count` rows and returns a new buffer.
    func callAsFunction(_ x: UnsafePointer<Float>, count: Int) -> FloatBuffer {
        let out = FloatBuffer(count: count * outputs)
        apply(x, count: count, into: out.pointer)
        return out
    }
}
