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

    public init(config: ModelConfig, tensors: [GraphTensor], ignoredSourceTensors: [String], sourcePath: String) {
        self.config = config
        self.tensors = Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, $0) })
        self.tensorNames = tensors.map { $0.name }
        self.ignoredSourceTensors = ignoredSourceTensors
        self.sourcePath = sourcePath
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

/// One tensor of the graph: bound to a checkpoint tensor (zero-copy) or holding fp32 values.
public struct GraphTensor: Sendable {
    public let name: String
    public let shape: [Int]
    public let value: Value

    public enum Value: Sendable {
        /// A tensor of a source checkpoint, read on demand.
        case source(any TensorSource, String)
        /// Values computed by a pass.
        case floats([Float])
    }

    public init(name: String, shape: [Int], value: Value) {
        self.name = name
        self.shape = shape
        self.value = value
    }

    public var elementCount: Int { shape.reduce(1, *) }

    /// The storage name as `inspect --graph` shows it.
    public var storageName: String {
        switch value {
        case .floats: return "F32 (computed)"
        case .source(let s, let n): return s.descriptor(named: n)?.encoding.name ?? "?"
        }
    }

    public func floats() throws -> [Float] {
        switch value {
        case .floats(let v): return v
        case .source(let s, let n): return try s.floats(named: n)
        }
    }

    /// As a matrix [shape[0], rest]; f32/f16/bf16 checkpoint bytes are used in place.
    public func matrix() throws -> WeightMatrix {
        guard let rows = shape.first, rows > 0 else { throw FormatError(name, "tensor has no rows") }
        let columns = elementCount / rows
        switch value {
        case .floats(let v):
            return WeightMatrix(rows: rows, columns: columns, values: v)
        case .source(let s, let n):
            let data = try s.tensorData(named: n)
            let storage: WeightMatrix.Storage?
            switch data.descriptor.encoding {
            case .dense(.f32): storage = .f32
            case .dense(.f16): storage = .f16
            case .dense(.bf16): storage = .bf16
            default: storage = nil
            }
            if let storage, let base = data.bytes.baseAddress {
                return WeightMatrix(rows: rows, columns: columns, storage: storage, base: base, owner: TensorDataBox(data))
            }
            return WeightMatrix(rows: rows, columns: columns, values: try data.floats())
        }
    }
}

/// Keeps a tensor's mapping alive for as long as a weight view uses it.
final class TensorDataBox: @unchecked Sendable {
    let data: TensorData
    init(_ data: TensorData) { self.data = data }
}
