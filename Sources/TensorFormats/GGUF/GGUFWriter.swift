/// A tensor a `GGUFWriter` will write: name, shape in PyTorch order (outermost first; the file
/// stores it reversed as `ne`), and ggml type.
public struct GGUFTensorSpec: Sendable, Hashable {
    public var name: String
    public var shape: [Int]
    public var type: GGMLType

    public init(name: String, shape: [Int], type: GGMLType) {
        self.name = name
        self.shape = shape
        self.type = type
    }

    /// Elements in the tensor.
    public var elementCount: Int { shape.reduce(1, *) }
}

/// Writes a GGUF v3 file, streaming: the header (metadata and tensor infos, with offsets) is
/// computed up front from the specs, then tensor data is supplied one tensor at a time, in spec
/// order. Each tensor is padded with zeros to the alignment (as gguf-py does). The file appears
/// at `path` only on `finish()` (via `AtomicFileWriter`); dropping the writer discards it.
///
/// ```swift
/// let w = try GGUFWriter(path: "out.gguf",
///                        metadata: [("general.architecture", .string("llama"))],
///                        tensors: [GGUFTensorSpec(name: "w", shape: [4, 64], type: .q8_0)])
/// try w.writeTensor(floats: values)   // quantized here (F32, F16, BF16, Q8_0, Q4_0)
/// try w.finish()
/// ```
public final class GGUFWriter {
    /// Destination path.
    public let path: String
    /// Data alignment (a power of 2; written as `general.alignment` when not 32).
    public let alignment: Int
    /// The tensors, in the order their data must be supplied.
    public let tensors: [GGUFTensorSpec]
    /// Offsets of each tensor relative to the data section.
    public let offsets: [Int]
    private let byteCounts: [Int]
    private var next = 0
    private let out: AtomicFileWriter

    /// Validates everything, then writes the header. `metadata` is written in the given order;
    /// `general.alignment` is appended when `alignment` is not 32 and the key is absent.
    public init(path: String, metadata: [(key: String, value: GGUFValue)], tensors: [GGUFTensorSpec], alignment: Int = GGUFFile.defaultAlignment) throws {
        guard alignment > 0, alignment & (alignment - 1) == 0, alignment <= Int(UInt32.max) else {
            throw FormatError(path, "alignment \(alignment) is not a nonzero power of 2")
        }
        var metadata = metadata
        if let a = metadata.first(where: { $0.key == "general.alignment" })?.value {
            guard a == .uint32(UInt32(alignment)) else {
                throw FormatError(path, "metadata general.alignment = \(a) (\(a.type)) contradicts the writer alignment \(alignment) (UINT32)")
            }
        } else if alignment != GGUFFile.defaultAlignment {
            metadata.append((key: "general.alignment", value: .uint32(UInt32(alignment))))
        }

        var header: [UInt8] = [0x47, 0x47, 0x55, 0x46]
        GGUFValueCoding.append(UInt32(3), to: &header)
        GGUFValueCoding.append(UInt64(tensors.count), to: &header)
        GGUFValueCoding.append(UInt64(metadata.count), to: &header)
        var keys = Set<String>()
        for (key, value) in metadata {
            guard !key.isEmpty else { throw FormatError(path, "metadata key is empty") }
            guard keys.insert(key).inserted else { throw FormatError(path, "duplicate metadata key '\(key)'") }
            GGUFValueCoding.appendString(key, to: &header)
            GGUFValueCoding.append(value.type.rawValue, to: &header)
            do {
                try GGUFValueCoding.appendValue(value, to: &header, key: key)
            } catch let e as FormatError {
                throw FormatError(path, "metadata '\(key)': \(e.problem)")
            }
        }

        var names = Set<String>()
        var offsets: [Int] = []
        var byteCounts: [Int] = []
        var running = 0
        for t in tensors {
            let bytes = try GGUFWriter.validate(t, path: path)
            guard names.insert(t.name).inserted else { throw FormatError(path, "duplicate tensor name '\(t.name)'") }
            GGUFValueCoding.appendString(t.name, to: &header)
            GGUFValueCoding.append(UInt32(t.shape.count), to: &header)
            for d in t.shape.reversed() { GGUFValueCoding.append(UInt64(d), to: &header) }
            GGUFValueCoding.append(t.type.id, to: &header)
            GGUFValueCoding.append(UInt64(running), to: &header)
            offsets.append(running)
            byteCounts.append(bytes)
            let (padded, o) = running.addingReportingOverflow(bytes + GGUFWriter.padding(bytes, alignment))
            guard !o else { throw FormatError(path, "total tensor data size overflows") }
            running = padded
        }
        header.append(contentsOf: repeatElement(0, count: GGUFWriter.padding(header.count, alignment)))

        self.path = path
        self.alignment = alignment
        self.tensors = tensors
        self.offsets = offsets
        self.byteCounts = byteCounts
        self.out = try AtomicFileWriter(destination: path)
        try out.write(header)
    }

    static func padding(_ n: Int, _ alignment: Int) -> Int { (alignment - n % alignment) % alignment }

    /// Checks one spec against the limits the reader enforces; returns its byte size.
    static func validate(_ t: GGUFTensorSpec, path: String) throws -> Int {
        let nameBytes = t.name.utf8.count
        guard nameBytes > 0, nameBytes < GGUFFile.maxNameBytes else {
            throw FormatError(path, "tensor name '\(t.name)' must be 1 to \(GGUFFile.maxNameBytes - 1) bytes")
        }
        guard t.shape.count <= GGUFFile.maxDims else {
            throw FormatError(path, "tensor '\(t.name)' has \(t.shape.count) dimensions, at most \(GGUFFile.maxDims) are allowed")
        }
        guard let count = TensorDescriptor.checkedElementCount(t.shape) else {
            throw FormatError(path, "tensor '\(t.name)' has invalid shape \(t.shape)")
        }
        let inner = t.shape.last ?? 1
        guard inner % t.type.blockSize == 0, let bytes = t.type.byteCount(elements: count) else {
            throw FormatError(path, "tensor '\(t.name)': innermost dimension \(inner) is not a multiple of the \(t.type.name) block size \(t.type.blockSize)")
        }
        return bytes
    }

    /// The spec of the tensor whose data comes next (nil when all are written).
    public var nextTensor: GGUFTensorSpec? { next < tensors.count ? tensors[next] : nil }

    /// Writes the next tensor from f32 values (row-major, PyTorch order), converting to its type.
    /// Supported target types: F32, F16, BF16, Q8_0, Q4_0; other types need `writeTensor(encoded:)`.
    public func writeTensor(floats values: UnsafeBufferPointer<Float>) throws {
        let t = try expectNext()
        guard values.count == t.elementCount else {
            throw FormatError(path, "tensor '\(t.name)' needs \(t.elementCount) values, got \(values.count)")
        }
        var bytes = [UInt8](repeating: 0, count: byteCounts[next])
        try bytes.withUnsafeMutableBytes { dst in
            switch t.type.id {
            case GGMLType.f32.id: DenseCodec.encode(values, as: .f32, into: dst)
            case GGMLType.f16.id: DenseCodec.encode(values, as: .f16, into: dst)
            case GGMLType.bf16.id: DenseCodec.encode(values, as: .bf16, into: dst)
            case GGMLType.q8_0.id: GGMLQuantizer.quantizeQ8_0(values, into: dst)
            case GGMLType.q4_0.id: GGMLQuantizer.quantizeQ4_0(values, into: dst)
            default:
                throw FormatError(path, "tensor '\(t.name)': cannot encode f32 values as \(t.type.name); supply encoded bytes")
            }
        }
        try bytes.withUnsafeBytes { try emit($0, count: $0.count) }
    }

    /// Writes the next tensor from f32 values.
    public func writeTensor(floats values: [Float]) throws {
        try values.withUnsafeBufferPointer { try writeTensor(floats: $0) }
    }

    /// Writes the next tensor's already-encoded bytes (exactly its byte size, any ggml type).
    public func writeTensor(encoded bytes: UnsafeRawBufferPointer) throws {
        let t = try expectNext()
        guard bytes.count == byteCounts[next] else {
            throw FormatError(path, "tensor '\(t.name)' (\(t.type.name), shape \(t.shape)) needs \(byteCounts[next]) bytes, got \(bytes.count)")
        }
        try emit(bytes, count: bytes.count)
    }

    /// Writes the next tensor's already-encoded bytes.
    public func writeTensor(encoded bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try writeTensor(encoded: $0) }
    }

    /// Checks that every tensor was written, then fsyncs and renames the file into place.
    public func finish() throws {
        guard next == tensors.count else {
            out.abort()
            throw FormatError(path, "only \(next) of \(tensors.count) tensors were written")
        }
        try out.commit()
    }

    private func expectNext() throws -> GGUFTensorSpec {
        guard let t = nextTensor else {
            throw FormatError(path, "all \(tensors.count) tensors are already written")
        }
        return t
    }

    private func emit(_ bytes: UnsafeRawBufferPointer, count: Int) throws {
        try out.write(bytes)
        try out.writeZeros(GGUFWriter.padding(count, alignment))
        next += 1
    }
}
