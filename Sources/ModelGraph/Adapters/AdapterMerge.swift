import Kernels
import TensorFormats

/// A report line per adapted module: what it touched and how.
public struct AdapterMergeRecord: Sendable {
    public var module: String
    public var canonical: String
    public var rank: Int
    public var scale: Float
    public var dora: Bool
}

extension ModelGraph {
    /// Merges a PEFT adapter into the graph, in fp32, exactly as PEFT's `merge_and_unload`:
    /// W' = W + s·B·A (s = α/r, or α/√r with rsLoRA, per-module rank/alpha patterns), with DoRA
    /// W' = (m / ‖W + s·B·A‖_row) ⊙ (W + s·B·A); biases untouched except `lora_bias`
    /// (b' = b + s·b_B). `modules_to_save` tensors replace the base ones. Every adapter tensor must
    /// land on a graph tensor of matching shape; anything else is an error naming the key.
    @discardableResult
    public mutating func merge(_ adapter: LoRAAdapter, architecture: any ArchitectureAdapter.Type) throws -> [AdapterMergeRecord] {
        var records: [AdapterMergeRecord] = []
        let file = adapter.path
        for m in adapter.modules {
            guard let canonical = architecture.canonicalName(m.path + ".weight"), let base = tensors[canonical] else {
                throw FormatError(file, "adapter module '\(m.path)' matches no \(config.kind.rawValue) weight (adapter for another model?)")
            }
            guard base.shape.count == 2 else { throw FormatError(file, "adapter module '\(m.path)' targets a non-matrix weight \(base.shape)") }
            let (outF, inF) = (base.shape[0], base.shape[1])
            guard let aKey = m.loraA, let bKey = m.loraB else { continue }
            let a = try adapter.weights.tensorData(named: aKey), b = try adapter.weights.tensorData(named: bKey)
            let (rank, _) = adapter.config.rankAndAlpha(module: m.path)
            let aShape = a.descriptor.shape, bShape = b.descriptor.shape
            let expectA = adapter.config.fanInFanOut ? [rank, outF] : [rank, inF]
            let expectB = adapter.config.fanInFanOut ? [inF, rank] : [outF, rank]
            guard aShape == expectA, bShape == expectB else {
                throw FormatError(file, "adapter module '\(m.path)': lora_A \(aShape) / lora_B \(bShape) do not fit weight \(base.shape) at rank \(rank) (expected \(expectA) / \(expectB))")
            }
            let s = adapter.config.scale(module: m.path)
            let af = try a.floats(), bf = try b.floats()
            var w = try base.floats()
            // delta = s·(B·A), transposed back to (out, in) for fan_in_fan_out.
            var delta = [Float](repeating: 0, count: outF * inF)
            let rows = adapter.config.fanInFanOut ? inF : outF, cols = adapter.config.fanInFanOut ? outF : inF
            af.withUnsafeBufferPointer { ap in bf.withUnsafeBufferPointer { bp in delta.withUnsafeMutableBufferPointer { dp in
                BLAS.sgemm(.no, .no, m: rows, n: cols, k: rank, a: bp.baseAddress!, lda: rank, b: ap.baseAddress!, ldb: cols, c: dp.baseAddress!, ldc: cols)
            } } }
            for i in 0..<(outF * inF) {
                let d = adapter.config.fanInFanOut ? delta[(i % inF) * outF + i / inF] : delta[i]
                w[i] += d * s
            }
            if adapter.config.useDoRA, let mKey = m.magnitude {
                let mag = try adapter.weights.floats(named: mKey)
                guard mag.count == outF else { throw FormatError(file, "adapter module '\(m.path)': magnitude has \(mag.count) values, weight has \(outF) rows") }
                for r in 0..<outF {
                    var sum: Double = 0
                    for j in 0..<inF { let v = Double(w[r * inF + j]); sum += v * v }
                    let factor = mag[r] / Float(sum.squareRoot())
                    for j in 0..<inF { w[r * inF + j] *= factor }
                }
            }
            replace(GraphTensor(name: canonical, shape: base.shape, value: .floats(w)))
            if let biasKey = m.loraBBias {
                let biasName = String(canonical.dropLast(".weight".count)) + ".bias"
                guard let baseBias = tensors[biasName] else { throw FormatError(file, "adapter key '\(biasKey)': the base weight has no bias") }
                var bias = try baseBias.floats()
                let add = try adapter.weights.floats(named: biasKey)
                guard add.count == bias.count else { throw FormatError(file, "adapter key '\(biasKey)' has \(add.count) values, bias has \(bias.count)") }
                for i in 0..<bias.count { bias[i] += s * add[i] }
                replace(GraphTensor(name: biasName, shape: baseBias.shape, value: .floats(bias)))
            }
            records.append(AdapterMergeRecord(module: m.path, canonical: canonical, rank: rank, scale: s, dora: adapter.config.useDoRA))
        }
        for (name, key) in adapter.replacements {
            guard let canonical = architecture.canonicalName(name), let base = tensors[canonical] else {
                throw FormatError(file, "adapter key '\(key)' matches no \(config.kind.rawValue) tensor")
            }
            guard let d = adapter.weights.descriptor(named: key), d.shape == base.shape else {
                throw FormatError(file, "adapter key '\(key)' has shape \(adapter.weights.descriptor(named: key)?.shape ?? []), the base tensor has \(base.shape)")
            }
            replace(GraphTensor(name: canonical, shape: base.shape, value: .floats(try adapter.weights.floats(named: key))))
        }
        return records
    }
}
