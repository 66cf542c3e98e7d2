/// Writes one safetensors file, streaming tensor by tensor, atomically.
///
/// The header (with `{"format": "pt"}` metadata unless told otherwise) is computed up front from
/// the descriptors and padded with spaces to a multiple of 8 bytes; tensors are laid out largest
/// element size first (stable), so each starts on a multiple of its element size. The caller's
/// `produce` closure is then called once per tensor, in layout order, and must write exactly the
/// tensor's bytes. The output appears at `path` only when everything succeeded.
public enum SafetensorsWriter {
    public static func write(
        to path: String,
        tensors: [TensorDescriptor],
        metadata: [String: String] = ["format": "pt"],
        produce: (TensorDescriptor, AtomicFileWriter) throws -> Void
    ) throws {
        var seen = Set<String>()
        for d in tensors {
            guard case .dense = d.encoding else {
                throw FormatError(path, "safetensors cannot hold ggml-quantized tensor '\(d.name)' (\(d.encoding.name))")
            }
            guard seen.insert(d.name).inserted else { throw FormatError(path, "tensor '\(d.name)' given twice") }
            guard d.name != "__metadata__" else { throw FormatError(path, "'__metadata__' is not a valid tensor name") }
        }
        let ordered = layoutOrder(tensors)
        let header = headerBytes(ordered, metadata: metadata)
        guard header.count <= SafetensorsFile.maxHeaderLength else {
            throw FormatError(path, "header would be \(header.count) bytes, over the \(SafetensorsFile.maxHeaderLength)-byte limit")
        }
        let out = try AtomicFileWriter(destination: path)
        var lengthLE = UInt64(header.count).littleEndian
        try withUnsafeBytes(of: &lengthLE) { try out.write($0) }
        try out.write(header)
        for d in ordered {
            let before = out.bytesWritten
            try produce(d, out)
            let wrote = out.bytesWritten - before
            guard wrote == d.byteCount else {
                out.abort()
                throw FormatError(path, "tensor '\(d.name)': wrote \(wrote) bytes, expected \(d.byteCount)")
            }
        }
        try out.commit()
    }

    /// Writes in-memory tensors (name → raw bytes), e.g. for tests and small outputs.
    public static func write(to path: String, tensors: [(TensorDescriptor, [UInt8])], metadata: [String: String] = ["format": "pt"]) throws {
        var bytesByName: [String: [UInt8]] = [:]
        for (d, b) in tensors { bytesByName[d.name] = b }
        try write(to: path, tensors: tensors.map { $0.0 }, metadata: metadata) { d, out in
            try out.write(bytesByName[d.name] ?? [])
        }
    }

    /// Descending element size, stable in the given order.
    static func layoutOrder(_ tensors: [TensorDescriptor]) -> [TensorDescriptor] {
        func size(_ d: TensorDescriptor) -> Int { if case .dense(let t) = d.encoding { return t.byteSize }; return 0 }
        return tensors.enumerated().sorted { a, b in
            let (sa, sb) = (size(a.element), size(b.element))
            return sa != sb ? sa > sb : a.offset < b.offset
        }.map { $0.element }
    }

    static func headerBytes(_ ordered: [TensorDescriptor], metadata: [String: String]) -> [UInt8] {
        var entries: [(String, JSONValue)] = []
        if !metadata.isEmpty {
            entries.append(("__metadata__", .object(metadata.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })))
        }
        var offset = 0
        for d in ordered {
            let n = d.byteCount
            entries.append((d.name, .object([
                ("dtype", .string(d.encoding.name)),
                ("shape", .array(d.shape.map { .int($0) })),
                ("data_offsets", .array([.int(offset), .int(offset + n)])),
            ])))
            offset += n
        }
        var bytes = Array(JSONValue.object(entries).serialized().utf8)
        while bytes.count % 8 != 0 { bytes.append(0x20) }
        return bytes
    }
}
