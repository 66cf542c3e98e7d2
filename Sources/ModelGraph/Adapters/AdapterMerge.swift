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
            var magnitudeKey: String?
            if adapter.config.useDoRA, let mKey = m.magnitude {
                guard let d = adapter.weights.descriptor(named: mKey), d.elementCount == outF else {
                    throw FormatError(file, "adapter module '\(m.path)': magnitude has \(adapter.weights.descriptor(named: mKey)?.elementCount ?? 0) values, weight has \(outF) rows")
                }
                magnitudeKey = mKey
            }
            // The arithmetic runs when the weight is read, so a writer streams merged tensors one at a time.
            let weights = adapter.weights, fanInFanOut = adapter.config.fanInFanOut, dora = magnitudeKey
            let merged = DeferredValues {
                let baseValues = try base.floats()
                base.releaseSourcePages()
                return LoRAMath.mergedWeight(base: consume baseValues, rows: outF, columns: inF, a: try weights.floats(named: aKey),
                                      b: try weights.floats(named: bKey), rank: rank, scale: s, fanInFanOut: fanInFanOut,
                                      magnitude: try dora.map { try weights.floats(named: $0) })
            }
            replace(GraphTensor(name: canonical, shape: base.shape, value: .computed(merged)))
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
            replace(GraphTensor(name: canonical, shape: base.shape, value: .source(adapter.weights, key)))
        }
        return records
    }
}

/// The merge arithmetic on raw matrices (fp32), as PEFT's `merge_and_unload` does it.
public enum LoRAMath {
    /// W' = W + s·ΔW with ΔW = B·A (transposed for fan_in_fan_out, whose base is stored (in, out));
    /// with `magnitude` (DoRA) each row of W + s·ΔW is rescaled to m / ‖row‖₂. Works in place on
    /// `base`, one stored row at a time (ΔW is never materialized), so a merge holds one fp32 copy
    /// of the weight.
    /// - Parameters: `base` is `[rows × columns]` as stored; `a` is `[rank × k]`, `b` `[n × rank]` with
    ///   (n, k) = (rows, columns), or (columns, rows) for fan_in_fan_out.
    public static func mergedWeight(base: consuming [Float], rows: Int, columns: Int, a: [Float], b: [Float], rank: Int, scale s: Float,
                                    fanInFanOut: Bool, magnitude: [Float]?) -> [Float] {
        var w = consume base
        // Row r of the result is row r of W plus s·Σ_t coefficients[r][t]·terms[t]: for plain
        // storage coefficients = B and terms = A; fan_in_fan_out stores ΔWᵀ, so stored (r, j) is
        // Σ_t A[t, r]·B[j, t]: coefficients = Aᵀ, terms = Bᵀ. (Each product is exact inside the
        // fused multiply-add, so the operand order does not change the bits.)
        let (coefficients, terms) = fanInFanOut
            ? (transposed(a, rows: rank, columns: rows), transposed(b, rows: columns, columns: rank)) : (b, a)
        w.withUnsafeMutableBufferPointer { buffer in
            coefficients.withUnsafeBufferPointer { cp in terms.withUnsafeBufferPointer { tp in
                guard let wp = buffer.baseAddress, let c = cp.baseAddress, let t = tp.baseAddress else { return }
                let pointers = UncheckedSendable((wp, c, t))
                Parallel.forEachClaimed(rows) { r in
                    let (w, coefficients, terms) = pointers.value
                    let row = w + r * columns
                    LowRankUpdate.addScaledProduct(row: row, columns: columns, a: terms, b: coefficients + r * rank, rank: rank, scale: s)
                    if let magnitude {
                        LowRankUpdate.scale(row: row, columns: columns, by: magnitude[r] / LowRankUpdate.rowNorm(row, count: columns))
                    }
                }
            } }
        }
        return w
    }

    /// `m` ([rows × columns], row-major) transposed.
    static func transposed(_ m: [Float], rows: Int, columns: Int) -> [Float] {
        var t = [Float](repeating: 0, count: m.count)
        for i in 0..<rows { for j in 0..<columns { t[j * rows + i] = m[i * columns + j] } }
        return t
    }
}
