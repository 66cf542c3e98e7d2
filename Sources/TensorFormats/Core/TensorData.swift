/// The bytes of one tensor, viewed in place (zero-copy from a mapped file) or owned.
///
/// `bytes` stays valid for as long as this value (or a copy) is alive.
public struct TensorData: @unchecked Sendable {
    public let descriptor: TensorDescriptor
    /// Exactly `descriptor.byteCount` bytes; not necessarily aligned to the element size.
    public let bytes: UnsafeRawBufferPointer
    private let owner: AnyObject?

    /// A view into memory kept alive by `owner` (e.g. a `MappedFile`).
    public init(descriptor: TensorDescriptor, bytes: UnsafeRawBufferPointer, owner: AnyObject?) {
        self.descriptor = descriptor
        self.bytes = bytes
        self.owner = owner
    }

    /// A tensor that owns a copy of `bytes`.
    public init(descriptor: TensorDescriptor, owning bytes: [UInt8]) {
        let box = ByteBox(bytes)
        self.descriptor = descriptor
        self.bytes = box.buffer
        self.owner = box
    }

    /// Drops this tensor's pages from the process's resident set when it is a view of a mapped file
    /// (the kernel's page cache keeps them; a later read faults them back in). Streaming writers
    /// call it after each tensor so resident memory stays near one tensor, not the whole model.
    public func releaseResidentPages() {
        guard let file = owner as? MappedFile else { return }
        file.releaseResidentPages(bytes)
    }

    /// `releaseResidentPages()` for the pages under bytes `range` of this tensor (a streaming
    /// writer's tile); pages shared with neighbouring bytes are dropped too and fault back.
    public func releaseResidentPages(bytes range: Range<Int>) {
        guard let file = owner as? MappedFile, range.lowerBound >= 0, range.upperBound <= bytes.count else { return }
        file.releaseResidentPages(UnsafeRawBufferPointer(rebasing: bytes[range]))
    }

    /// The values as f32: plain dtypes are converted, ggml blocks dequantized.
    /// Integer and boolean tensors convert to their numeric value.
    public func floats() throws -> [Float] {
        let n = descriptor.elementCount
        switch descriptor.encoding {
        case .dense(let d):
            return DenseCodec.decode(bytes, dtype: d, count: n)
        case .ggml(let t):
            return try GGMLDequantizer.dequantize(bytes, type: t, count: n)
        }
    }
}

/// Heap storage for an owned tensor.
final class ByteBox: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
    let count: Int

    init(_ bytes: [UInt8]) {
        count = bytes.count
        pointer = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 64)
        bytes.withUnsafeBytes { src in
            if let b = src.baseAddress { pointer.copyMemory(from: b, byteCount: count) }
        }
    }

    var buffer: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: pointer, count: count) }

    deinit { pointer.deallocate() }
}
