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
            var magnitude: [Float]?
            if adapter.config.useDoRA, let mKey = m.magnitude {
                magnitude = try adapter.weights.floats(named: mKey)
                guard magnitude?.count == outF else { throw FormatError(file, "adapter module '\(m.path)': magnitude has \(magnitude?.count ?? 0) values, weight has \(outF) rows") }
            }
            let w = LoRAMath.mergedWeight(base: try base.floats(), rows: outF, columns: inF, a: try a.floats(), b: try b.floats(),
                                          rank: rank, scale: s, fanInFanOut: adapter.config.fanInFanOut, magnitude: magnitude)
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

/// The merge arithmetic on raw matrices (fp32), as PEFT's `merge_and_unload` does it.
public enum LoRAMath {
    /// W' = W + s·ΔW with ΔW = B·A (transposed for fan_in_fan_out, whose base is stored (in, out));
    /// with `magnitude` (DoRA) each row of W + s·ΔW is rescaled to m / ‖row‖₂.
    /// - Parameters: `base` is `[rows × columns]` as stored; `a` is `[rank × k]`, `b` `[n × rank]` with
    ///   (n, k) = (rows, columns), or (columns, rows) for fan_in_fan_out.
    public static func mergedWeight(base: [Float], rows: Int, columns: Int, a: [Float], b: [Float], rank: Int, scale s: Float,
                                    fanInFanOut: Bool, magnitude: [Float]?) -> [Float] {
        var w = base
        let n = fanInFanOut ? columns : rows, k = fanInFanOut ? rows : columns
        var delta = [Float](repeating: 0, count: rows * columns)
        a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in delta.withUnsafeMutableBufferPointer { dp in
            BLAS.sgemm(.no, .no, m: n, n: k, k: rank, a: bp.baseAddress!, lda: rank, b: ap.baseAddress!, ldb: k, c: dp.baseAddress!, ldc: k)
        } } }
        for i in 0..<(rows * columns) {
            let d = fanInFanOut ? delta[(i % columns) * k + i / columns] : delta[i]
            w[i] += d * s
        }
        if let magnitude {
            for r in 0..<rows {
                var sum: Double = 0
                for j in 0..<columns { let v = Double(w[r * columns + j]); sum += v * v }
                let factor = magnitude[r] / Float(sum.squareRoot())
                for j in 0..<columns { w[r * columns + j] *= factor }
            }
        }
        return w
    }
}
