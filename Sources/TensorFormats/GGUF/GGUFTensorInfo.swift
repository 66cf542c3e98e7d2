/// One tensor info record of a GGUF file, as validated by `GGUFFile`.
public struct GGUFTensorInfo: Sendable, Hashable {
    /// The tensor's name (at most 63 bytes).
    public var name: String
    /// Dimensions in ggml order: `ne[0]` is the innermost (fastest-varying) one.
    public var ne: [Int]
    /// The ggml storage type.
    public var type: GGMLType
    /// Offset of the data, relative to the start of the data section.
    public var offset: Int
    /// Bytes of data (`ne[0]/blockSize × typeSize × ne[1] × …`).
    public var byteCount: Int

    public init(name: String, ne: [Int], type: GGMLType, offset: Int, byteCount: Int) {
        self.name = name
        self.ne = ne
        self.type = type
        self.offset = offset
        self.byteCount = byteCount
    }

    /// Shape in PyTorch order (outermost first), i.e. `ne` reversed.
    public var shape: [Int] { ne.reversed() }

    /// Number of elements.
    public var elementCount: Int { ne.contains(0) ? 0 : ne.reduce(1, *) }

    /// The descriptor `TensorSource` users see: PyTorch-order shape, plain types as `.dense`.
    public var descriptor: TensorDescriptor {
        TensorDescriptor(name: name, shape: shape, encoding: type.encoding)
    }
}

extension GGMLType {
    /// The ggml type that stores a tensor encoding: a ggml encoding is itself, a plain dtype maps
    /// to F32/F16/BF16/F64/I8/I16/I32/I64; nil for dtypes ggml has no type for (e.g. U8, BOOL).
    public init?(encoding: TensorEncoding) {
        switch encoding {
        case .ggml(let t): self = t
        case .dense(let d):
            switch d {
            case .f32: self = .f32
            case .f16: self = .f16
            case .bf16: self = .bf16
            case .f64: self = .f64
            case .i8: self = .i8
            case .i16: self = .i16
            case .i32: self = .i32
            case .i64: self = .i64
            default: return nil
            }
        }
    }
}
