/// How a tensor's elements are stored: a plain dtype, or ggml blocks.
public enum TensorEncoding: Sendable, Hashable {
    case dense(DType)
    case ggml(GGMLType)

    /// The name users see: safetensors dtype names (`BF16`) or ggml type names (`Q4_K`).
    public var name: String {
        switch self {
        case .dense(let d): return d.rawValue
        case .ggml(let t): return t.name
        }
    }

    /// Bytes needed for `elements` elements (nil when `elements` is not a whole number of blocks
    /// or the count overflows).
    public func byteCount(elements: Int) -> Int? {
        switch self {
        case .dense(let d):
            let (r, o) = elements.multipliedReportingOverflow(by: d.byteSize)
            return o ? nil : r
        case .ggml(let t):
            guard elements % t.blockSize == 0 else { return nil }
            let (r, o) = (elements / t.blockSize).multipliedReportingOverflow(by: t.typeSize)
            return o ? nil : r
        }
    }
}

/// What a checkpoint says about one tensor: its name, shape (outermost dimension first,
/// as PyTorch orders it — also for GGUF), and storage.
public struct TensorDescriptor: Sendable, Hashable {
    public var name: String
    public var shape: [Int]
    public var encoding: TensorEncoding

    public init(name: String, shape: [Int], encoding: TensorEncoding) {
        self.name = name
        self.shape = shape
        self.encoding = encoding
    }

    /// Number of elements (1 for a scalar). Readers validate the product with
    /// `checkedElementCount`; a zero dimension gives 0 first, so that no order of the dimensions
    /// (GGUF's ne is reversed here) can overflow on the way to a zero.
    public var elementCount: Int { shape.contains(0) ? 0 : shape.reduce(1, *) }

    /// Bytes of storage.
    public var byteCount: Int { encoding.byteCount(elements: elementCount) ?? 0 }

    /// Elements over `tensors`, saturating at `Int.max` (each count fits; their sum need not).
    public static func totalElements(_ tensors: [TensorDescriptor]) -> Int {
        tensors.reduce(0) { total, t in
            let (sum, overflow) = total.addingReportingOverflow(t.elementCount)
            return overflow ? Int.max : sum
        }
    }

    /// The element count, or nil when the product overflows `Int` or a dimension is negative.
    public static func checkedElementCount(_ shape: [Int]) -> Int? {
        var n = 1
        for d in shape {
            guard d >= 0 else { return nil }
            let (r, o) = n.multipliedReportingOverflow(by: d)
            if o { return nil }
            n = r
        }
        return n
    }
}
