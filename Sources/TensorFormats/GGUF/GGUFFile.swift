/// A GGUF file (version 2 or 3), opened through mmap. Opening parses and validates the header,
/// metadata and tensor infos; tensor bytes are views into the mapping (zero-copy).
///
/// ```swift
/// let gguf = try GGUFFile(path: "model.gguf")
/// let arch = gguf.architecture                       // general.architecture
/// let n = gguf.uint("llama.block_count")              // any non-negative integer KV
/// let w = try gguf.floats(named: "token_embd.weight") // dequantized f32, PyTorch order
/// ```
///
/// Every problem is a `FormatError` naming the file. Hostile input never crashes the reader:
/// counts and lengths are checked against the bytes left before anything is allocated.
public final class GGUFFile: TensorSource {
    /// The path the file was opened from.
    public let path: String
    /// The GGUF version (2 or 3).
    public let version: UInt32
    /// The data alignment: `general.alignment`, or 32 when absent.
    public let alignment: Int
    /// Every metadata entry, in file order.
    public let metadataEntries: [(key: String, value: GGUFValue)]
    /// Metadata by key.
    public let metadata: [String: GGUFValue]
    /// Every tensor info, in file order.
    public let tensorInfos: [GGUFTensorInfo]
    /// Absolute file offset of the data section (`align(end of tensor infos)`).
    public let dataOffset: Int
    /// Descriptors in file order: shapes in PyTorch order, plain ggml types as `.dense`.
    public let tensors: [TensorDescriptor]

    private let file: MappedFile
    private let index: [String: Int]

    /// The alignment used when a file has no `general.alignment`.
    public static let defaultAlignment = 32
    /// The ggml limit on tensor names (`GGML_MAX_NAME`); names must be shorter.
    public static let maxNameBytes = 64
    /// The ggml limit on dimensions (`GGML_MAX_DIMS`).
    public static let maxDims = 4

    /// True when `path` is a GGUF file: by its `.gguf` name, else by its magic `GGUF`. Folders are not.
    public static func isGGUF(path: String) -> Bool {
        guard !FileSystem.isDirectory(path) else { return false }
        return path.lowercased().hasSuffix(".gguf") || FileSystem.prefix(of: path, count: 4) == Array("GGUF".utf8)
    }

    /// Maps and parses the file at `path`.
    public convenience init(path: String) throws {
        try self.init(file: try MappedFile(path: path))
    }

    /// Parses an already mapped file.
    public init(file: MappedFile) throws {
        let header = try GGUFHeaderParser.parse(file.bytes, path: file.path)
        self.file = file
        self.path = file.path
        self.version = header.version
        self.alignment = header.alignment
        self.metadataEntries = header.entries
        self.metadata = header.metadata
        self.tensorInfos = header.tensors
        self.dataOffset = header.dataOffset
        self.tensors = header.tensors.map(\.descriptor)
        var index: [String: Int] = [:]
        for (i, t) in header.tensors.enumerated() { index[t.name] = i }
        self.index = index
    }

    // MARK: TensorSource

    public var formatName: String { "gguf" }

    /// `general.architecture`, when it is a string.
    public var architecture: String? { metadata["general.architecture"]?.stringValue }

    /// The tensor info with this name.
    public func tensorInfo(named name: String) -> GGUFTensorInfo? {
        index[name].map { tensorInfos[$0] }
    }

    /// A zero-copy view of one tensor's bytes (kept alive by the returned value).
    public func tensorData(named name: String) throws -> TensorData {
        guard let i = index[name] else {
            throw FormatError(path, "no tensor named '\(name)'")
        }
        let info = tensorInfos[i]
        let bytes: UnsafeRawBufferPointer
        if info.byteCount == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
        } else {
            // Bounds were validated when the file was opened.
            let start = dataOffset + info.offset
            bytes = file.slice(start..<(start + info.byteCount))
        }
        return TensorData(descriptor: tensors[i], bytes: bytes, owner: file)
    }

    // MARK: Metadata getters

    /// The value of `key`, if present.
    public func value(_ key: String) -> GGUFValue? { metadata[key] }

    /// A STRING value.
    public func string(_ key: String) -> String? { metadata[key]?.stringValue }

    /// Any non-negative integer value (UINT8…UINT64, or a signed one that is ≥ 0).
    public func uint(_ key: String) -> UInt64? { metadata[key]?.uint64Value }

    /// Any integer value that fits `Int64`.
    public func int(_ key: String) -> Int64? { metadata[key]?.int64Value }

    /// A FLOAT32 or FLOAT64 value.
    public func float(_ key: String) -> Double? { metadata[key]?.doubleValue }

    /// A BOOL value.
    public func bool(_ key: String) -> Bool? { metadata[key]?.boolValue }

    /// The elements of an ARRAY value.
    public func array(_ key: String) -> [GGUFValue]? { metadata[key]?.arrayValue }

    /// An array of STRING.
    public func stringArray(_ key: String) -> [String]? { metadata[key]?.stringArrayValue }

    /// An array of FLOAT32/FLOAT64, as `Double`.
    public func floatArray(_ key: String) -> [Double]? { metadata[key]?.doubleArrayValue }

    /// An array of integers, as `Int64`.
    public func intArray(_ key: String) -> [Int64]? { metadata[key]?.int64ArrayValue }
}
