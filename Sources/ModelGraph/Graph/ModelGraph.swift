import Kernels
import TensorFormats

/// The canonical model: its configuration, its tensors under canonical names (bound to
/// checkpoint bytes without copying, or to values a pass produced), and graph attributes.
/// Forward passes see only this; they never see file formats.
public struct ModelGraph: Sendable {
    public let config: ModelConfig
    /// Canonical name → tensor, in canonical order (`tensorNames`).
    public private(set) var tensors: [String: GraphTensor]
    public private(set) var tensorNames: [String]
    /// Checkpoint tensors that map to nothing the graph uses (reported by `inspect --graph`).
    public let ignoredSourceTensors: [String]
    /// Where the checkpoint came from (for error messages and sibling files such as the tokenizer).
    public let sourcePath: String
    /// The embedding head, once `attachEmbeddingHead()` has run.
    public var head: EmbeddingHead?
    /// The model's other files (tokenizer, `config.json`, `preprocessor_config.json`), wherever they live.
    public let files: ModelFiles

    /// A graph over `tensors`; `files` defaults to the folder at `sourcePath`.
    public init(config: ModelConfig, tensors: [GraphTensor], ignoredSourceTensors: [String], sourcePath: String, files: ModelFiles? = nil) {
        self.config = config
        self.tensors = Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, $0) })
        self.tensorNames = tensors.map { $0.name }
        self.ignoredSourceTensors = ignoredSourceTensors
        self.sourcePath = sourcePath
        self.files = files ?? .directory(sourcePath)
    }

    /// The tensor with this canonical name, or an error naming it.
    public func tensor(_ name: String) throws -> GraphTensor {
        guard let t = tensors[name] else { throw FormatError(sourcePath, "missing tensor '\(name)'") }
        return t
    }

    /// A 2-D (or flattened-to-2-D) weight for matmul; 16-bit storage stays 16-bit.
    public func matrix(_ name: String) throws -> WeightMatrix { try tensor(name).matrix() }

    /// The values of a tensor as fp32 (biases, norms, embeddings rows, separators).
    public func floats(_ name: String) throws -> [Float] { try tensor(name).floats() }

    /// Replaces (or adds) a tensor — used by graph passes such as adapter merges.
    public mutating func replace(_ tensor: GraphTensor) {
        if tensors[tensor.name] == nil { tensorNames.append(tensor.name) }
        tensors[tensor.name] = tensor
    }

    /// Removes a tensor (e.g. `lm_head.weight` when the embedding head is attached).
    public mutating func remove(_ name: String) {
        tensors[name] = nil
        tensorNames.removeAll { $0 == name }
    }
}

/// One tensor of the graph: bound to a checkpoint tensor (zero-copy), stored in a bundle in some
/// scheme (zero-copy), or holding fp32 values a pass produced now or on first use.
public struct GraphTensor: Sendable {
    public let name: String
    public let shape: [Int]
    public let value: Value
    /// Source rows in canonical order: canonical row i is stored row `rowOrder[i]` (nil: the
    /// identity). GGUF's llama-family Q/K weights use it to undo llama.cpp's per-head row
    /// permutation without copying the weights.
    public let rowOrder: [Int]?

    public enum Value: Sendable {
        /// A tensor of a source checkpoint, read on demand.
        case source(any TensorSource, String)
        /// Values computed by a pass.
        case floats([Float])
        /// Values a pass computes when they are read (e.g. an adapter merge), so that a writer can
        /// stream the model one tensor at a time.
        case computed(DeferredValues)
        /// Bytes in a bundle's storage scheme (mapped, not copied).
        case stored(StoredTensor)
    }

    public init(name: String, shape: [Int], value: Value, rowOrder: [Int]? = nil) {
        self.name = name
        self.shape = shape
        self.value = value
        self.rowOrder = rowOrder
    }

    public var elementCount: Int { shape.reduce(1, *) }

    /// The storage name as `inspect --graph` shows it.
    public var storageName: String {
        switch value {
        case .floats, .computed: return "F32 (computed)"
        case .source(let s, let n): return s.descriptor(named: n)?.encoding.name ?? "?"
        case .stored(let s): return s.scheme.name
        }
    }

    /// The dtype the values have at the source when it is a plain float type (what bundles keep
    /// for tensors the quantization policy leaves alone); nil for computed or ggml-quantized values.
    public var sourceFloatScheme: QuantScheme? {
        if rowOrder != nil { return nil }
        switch value {
        case .floats, .computed: return nil
        case .stored(let s): return s.scheme.isQuantized ? nil : s.scheme
        case .source(let s, let n):
            switch s.descriptor(named: n)?.encoding {
            case .dense(.f32): return .f32
            case .dense(.f16): return .f16
            case .dense(.bf16): return .bf16
            default: return nil
            }
        }
    }

    /// Drops the mapped source pages this tensor was read from out of the resident set (streaming
    /// writers call it once a tensor is written); a no-op for values that are not mapped.
    public func releaseSourcePages() {
        if case .source(let s, let n) = value, let data = try? s.tensorData(named: n) { data.releaseResidentPages() }
    }

    /// Every value as fp32, in canonical row order.
    public func floats() throws -> [Float] {
        if rowOrder != nil { return try matrix().floats() }
        switch value {
        case .floats(let v): return v
        case .computed(let d): return try d.produce()
        case .source(let s, let n): return try s.floats(named: n)
        case .stored: return try matrix().floats()
        }
    }

    /// As a matrix [shape[0], rest] in canonical row order; f32/f16/bf16 checkpoint bytes, ggml
    /// blocks and bundle storage are used in place.
    public func matrix() throws -> WeightMatrix {
        let m = try storedMatrix()
        guard let rowOrder else { return m }
        return m.reorderingRows(rowOrder)
    }

    /// The matrix in stored row order.
    private func storedMatrix() throws -> WeightMatrix {
        let rows = shape.first ?? 1
        guard rows > 0 else { throw FormatError(name, "tensor has no rows") }
        let columns = elementCount / rows
        switch value {
        case .floats(let v):
            return WeightMatrix(rows: rows, columns: columns, values: v)
        case .computed(let d):
            return WeightMatrix(rows: rows, columns: columns, values: try d.produce())
        case .stored(let s):
            var m = WeightMatrix(rows: rows, columns: columns, storage: s.scheme.storage, base: s.data,
                                 scales: s.scales, zeros: s.zeros, owner: s.owner)
            m.preferredInputs = s.preferredInputs
            return m
        case .source(let s, let n):
            let data = try s.tensorData(named: n)
            let storage: WeightMatrix.Storage?
            switch data.descriptor.encoding {
            case .dense(.f32): storage = .f32
            case .dense(.f16): storage = .f16
            case .dense(.bf16): storage = .bf16
            case .ggml(let type): storage = GGMLWeightStorage.storage(for: type, columns: columns)
            default: storage = nil
            }
            if let storage, let base = data.bytes.baseAddress {
                return WeightMatrix(rows: rows, columns: columns, storage: storage, base: base, owner: TensorDataBox(data))
            }
            return WeightMatrix(rows: rows, columns: columns, values: try data.floats())
        }
    }
}

/// fp32 values produced on demand (and not kept: every read recomputes them).
public final class DeferredValues: Sendable {
    public let produce: @Sendable () throws -> [Float]
    public init(_ produce: @escaping @Sendable () throws -> [Float]) { self.produce = produce }
}

/// A tensor's bytes in a bundle storage scheme (see `Formats/vlmb.md`), kept alive by `owner`.
public struct StoredTensor: @unchecked Sendable {
    public let scheme: QuantScheme
    public let data: UnsafeRawPointer
    public let scales: UnsafeRawPointer?
    public let zeros: UnsafeRawPointer?
    public let owner: AnyObject
    /// How inputs meet the weight when it is int4 (the bundle's `--int4-inputs`).
    public let preferredInputs: Int4Inputs

    public init(scheme: QuantScheme, data: UnsafeRawPointer, scales: UnsafeRawPointer?, zeros: UnsafeRawPointer?, owner: AnyObject,
                preferredInputs: Int4Inputs = .int16) {
        self.scheme = scheme
        self.data = data
        self.scales = scales
        self.zeros = zeros
        self.owner = owner
        self.preferredInputs = preferredInputs
    }
}

/// Keeps a tensor's mapping alive for as long as a weight view uses it.
final class TensorDataBox: @unchecked Sendable {
    let data: TensorData
    init(_ data: TensorData) { self.data = data }
}
