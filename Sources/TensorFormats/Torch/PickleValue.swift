/// The data a restricted unpickle produces: plain Python values, containers, and the
/// tensors and storages of a PyTorch checkpoint. Nothing in it is executable.
public indirect enum PickleValue: Sendable, Equatable {
    case none
    case bool(Bool)
    case int(Int)
    /// An integer wider than 64 bits, as little-endian two's-complement bytes (pickle `LONG1`/`LONG4`).
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case list([PickleValue])
    case tuple([PickleValue])
    /// A `set` or `frozenset`, in pickle order.
    case set([PickleValue])
    /// A `dict` or `collections.OrderedDict`, in insertion order.
    case dict(PickleDict)
    /// A tensor rebuilt from a storage (`torch._utils._rebuild_tensor_v2` and friends).
    case tensor(TorchTensor)
    /// A storage loaded by persistent id, not (yet) wrapped in a tensor.
    case storage(TorchStorage)
    /// A reference to an allowed global (e.g. `torch.FloatStorage`) that was never applied.
    case global(module: String, name: String)

    /// The string payload, if this is a string.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The integer payload, if this is an int (or a bool, as Python treats it).
    public var intValue: Int? {
        switch self {
        case .int(let v): return v
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    /// A short name for the kind of value, for error messages (`dict`, `tensor`, ...).
    public var kindName: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int, .bigInt: return "int"
        case .float: return "float"
        case .string: return "str"
        case .bytes: return "bytes"
        case .list: return "list"
        case .tuple: return "tuple"
        case .set: return "set"
        case .dict: return "dict"
        case .tensor: return "tensor"
        case .storage: return "storage"
        case .global(let m, let n): return "\(m).\(n)"
        }
    }
}

/// A key/value pair of a `PickleDict`.
public struct PickleDictEntry: Sendable, Equatable {
    public var key: PickleValue
    public var value: PickleValue

    public init(key: PickleValue, value: PickleValue) {
        self.key = key
        self.value = value
    }
}

/// An ordered dictionary from a pickle (`dict` and `OrderedDict` both keep insertion order).
public struct PickleDict: Sendable, Equatable {
    /// Entries in insertion order; keys are unique for string and int keys.
    public var entries: [PickleDictEntry]
    /// Whether the pickle built it as `collections.OrderedDict`.
    public var isOrderedDict: Bool
    /// Instance state restored by `BUILD` (e.g. a module state dict's `_metadata`), if any.
    public var attributes: PickleValue?

    public init(entries: [PickleDictEntry] = [], isOrderedDict: Bool = false, attributes: PickleValue? = nil) {
        self.entries = entries
        self.isOrderedDict = isOrderedDict
        self.attributes = attributes
    }

    /// The value for a string key, if present.
    public subscript(key: String) -> PickleValue? {
        entries.first { $0.key == .string(key) }?.value
    }
}

/// A storage named by a checkpoint's persistent id `('storage', type, key, location, numel)`.
public struct TorchStorage: Sendable, Equatable {
    /// The record key: the bytes live in `<prefix>/data/<key>`.
    public var key: String
    /// The element type of a typed storage (`torch.FloatStorage` → f32); nil for
    /// `torch.storage.UntypedStorage`, whose elements are bytes.
    public var dtype: DType?
    /// `numel` from the persistent id (bytes for an untyped storage).
    public var elementCount: Int
    /// Where the storage lived when saved (`cpu`, `cuda:0`, ...).
    public var location: String
    /// The byte length the blob must have: `elementCount × element size`.
    public var byteCount: Int
}

/// A tensor as the pickle describes it: a strided view of a storage.
public struct TorchTensor: Sendable, Equatable {
    public var storage: TorchStorage
    public var dtype: DType
    /// Offset of the first element, in elements of `dtype`.
    public var storageOffset: Int
    public var shape: [Int]
    /// Element strides, outermost dimension first.
    public var strides: [Int]
    public var requiresGrad: Bool

    /// Number of elements.
    public var elementCount: Int { shape.contains(0) ? 0 : shape.reduce(1, *) }

    /// Whether the elements are laid out densely in row-major order (sizes of 1 ignore their stride).
    public var isContiguous: Bool {
        if shape.contains(0) { return true }
        var expected = 1
        for (size, stride) in zip(shape, strides).reversed() where size != 1 {
            if stride != expected { return false }
            expected *= size
        }
        return true
    }
}
