/// Parses and validates everything in a GGUF file before the tensor data: magic, version,
/// counts, metadata, tensor infos, and the data layout (alignment, bounds, overlaps).
enum GGUFHeaderParser {
    struct Header {
        var version: UInt32
        var alignment: Int
        var entries: [(key: String, value: GGUFValue)]
        var metadata: [String: GGUFValue]
        var tensors: [GGUFTensorInfo]
        var dataOffset: Int
    }

    static let magic: [UInt8] = [0x47, 0x47, 0x55, 0x46]  // "GGUF"
    /// Fewest bytes one KV can take: key length, a 1-byte key, value type, a 1-byte value.
    static let minKVBytes = 8 + 1 + 4 + 1
    /// Fewest bytes one tensor info can take: name length, n_dims, type, offset.
    static let minTensorInfoBytes = 8 + 4 + 4 + 8

    static func parse(_ bytes: UnsafeRawBufferPointer, path: String) throws -> Header {
        var r = ByteReader(bytes, file: path)

        // Magic and version.
        let m = try r.readBytes(4, "magic")
        guard Array(m) == magic else {
            let hex = m.map { String($0, radix: 16, uppercase: true) }.map { $0.count == 1 ? "0" + $0 : $0 }
            throw FormatError(path, "not a GGUF file: magic is \(hex.joined(separator: " ")), expected 47 47 55 46 (\"GGUF\")")
        }
        let version = try r.read(UInt32.self, "version")
        if version == 0 {
            throw FormatError(path, "invalid GGUF version 0")
        }
        if version & 0xFFFF == 0 {
            throw FormatError(path, "GGUF version \(version) (0x\(String(version, radix: 16))) has its low 16 bits zero: probable byte-order mismatch (big-endian file?)")
        }
        if version == 1 {
            throw FormatError(path, "GGUF version 1 is not supported (it uses 32-bit counts); only versions 2 and 3 are")
        }
        if version > 3 {
            throw FormatError(path, "unsupported GGUF version \(version) (supported: 2 and 3)")
        }

        // Counts: reject absurd values before allocating anything.
        let nTensors64 = try r.read(UInt64.self, "tensor count")
        let nKV64 = try r.read(UInt64.self, "metadata count")
        let left = UInt64(r.remaining)
        guard nKV64 <= left / UInt64(minKVBytes) else {
            throw FormatError(path, "truncated or corrupt: metadata count \(nKV64) is impossible: the \(left) bytes left cannot hold that many entries")
        }
        guard nTensors64 <= left / UInt64(minTensorInfoBytes),
              nKV64 * UInt64(minKVBytes) + nTensors64 * UInt64(minTensorInfoBytes) <= left else {
            throw FormatError(path, "truncated or corrupt: tensor count \(nTensors64) is impossible: the \(left) bytes left cannot hold that many tensor infos")
        }
        let nKV = Int(nKV64), nTensors = Int(nTensors64)

        // Metadata.
        var entries: [(key: String, value: GGUFValue)] = []
        var metadata: [String: GGUFValue] = [:]
        entries.reserveCapacity(nKV)
        metadata.reserveCapacity(nKV)
        for i in 0..<nKV {
            let key = try GGUFValueCoding.readString(&r, "key of metadata entry \(i)", strict: true)
            guard !key.isEmpty else {
                throw FormatError(path, "metadata entry \(i) has an empty key")
            }
            guard metadata[key] == nil else {
                throw FormatError(path, "duplicate metadata key '\(key)'")
            }
            let type = try GGUFValueCoding.readType(&r, "metadata '\(key)'")
            let value = try GGUFValueCoding.readValue(&r, type: type, "metadata '\(key)'")
            entries.append((key, value))
            metadata[key] = value
        }

        // Alignment.
        var alignment = GGUFFile.defaultAlignment
        if let a = metadata["general.alignment"] {
            guard case .uint32(let v) = a else {
                throw FormatError(path, "general.alignment has type \(a.type), expected UINT32")
            }
            guard v != 0, v & (v - 1) == 0 else {
                throw FormatError(path, "general.alignment \(v) is not a nonzero power of 2")
            }
            alignment = Int(v)
        }

        // Tensor infos.
        var tensors: [GGUFTensorInfo] = []
        tensors.reserveCapacity(nTensors)
        var names = Set<String>()
        for i in 0..<nTensors {
            let name = try GGUFValueCoding.readString(&r, "name of tensor \(i)", strict: true)
            tensors.append(try readTensorInfo(&r, name: name, alignment: alignment, path: path))
            guard names.insert(name).inserted else {
                throw FormatError(path, "duplicate tensor name '\(name)'")
            }
        }

        // Data section: starts at the aligned end of the infos.
        let end = r.offset
        let (padded, overflow) = end.addingReportingOverflow((alignment - end % alignment) % alignment)
        guard !overflow else { throw FormatError(path, "data section offset overflows") }
        let dataOffset = padded
        try checkLayout(tensors, dataOffset: dataOffset, fileSize: bytes.count, path: path)

        return Header(version: version, alignment: alignment, entries: entries, metadata: metadata,
                      tensors: tensors, dataOffset: dataOffset)
    }

    static func readTensorInfo(_ r: inout ByteReader, name: String, alignment: Int, path: String) throws -> GGUFTensorInfo {
        let nameBytes = name.utf8.count
        guard nameBytes < GGUFFile.maxNameBytes else {
            throw FormatError(path, "tensor name '\(name.prefix(80))' is \(nameBytes) bytes, the limit is \(GGUFFile.maxNameBytes - 1)")
        }
        let nDims = try r.read(UInt32.self, "n_dims of tensor '\(name)'")
        guard nDims <= UInt32(GGUFFile.maxDims) else {
            throw FormatError(path, "tensor '\(name)' has \(nDims) dimensions, at most \(GGUFFile.maxDims) are allowed")
        }
        var ne: [Int] = []
        for d in 0..<Int(nDims) {
            let v = try r.read(UInt64.self, "ne[\(d)] of tensor '\(name)'")
            guard v <= UInt64(Int64.max) else {
                throw FormatError(path, "tensor '\(name)' has negative dimension ne[\(d)] = \(Int64(bitPattern: v))")
            }
            ne.append(Int(v))
        }
        let typeID = try r.read(UInt32.self, "type of tensor '\(name)'")
        guard let type = GGMLType.byID(typeID) else {
            throw FormatError(path, "tensor '\(name)': unknown ggml type \(typeID)")
        }
        let offset64 = try r.read(UInt64.self, "offset of tensor '\(name)'")

        guard let count = TensorDescriptor.checkedElementCount(ne), count < Int.max else {
            throw FormatError(path, "tensor '\(name)': element count of ne=\(ne) overflows")
        }
        let ne0 = ne.first ?? 1
        guard ne0 % type.blockSize == 0 else {
            throw FormatError(path, "tensor '\(name)': ne[0] = \(ne0) is not a multiple of the \(type.name) block size \(type.blockSize)")
        }
        guard let byteCount = type.byteCount(elements: count) else {
            throw FormatError(path, "tensor '\(name)': byte size of ne=\(ne) as \(type.name) overflows")
        }
        guard offset64 <= UInt64(Int.max), Int(offset64) % alignment == 0 else {
            throw FormatError(path, "tensor '\(name)': offset \(offset64) is not a multiple of the alignment \(alignment)")
        }
        return GGUFTensorInfo(name: name, ne: ne, type: type, offset: Int(offset64), byteCount: byteCount)
    }

    /// Every non-empty tensor must lie inside the file, and no two may overlap.
    /// Gaps and any order are accepted (the GGUF spec only requires aligned offsets).
    static func checkLayout(_ tensors: [GGUFTensorInfo], dataOffset: Int, fileSize: Int, path: String) throws {
        let dataSize = fileSize - dataOffset
        for t in tensors where t.byteCount > 0 {
            let (end, o) = t.offset.addingReportingOverflow(t.byteCount)
            guard dataSize >= 0, !o, end <= dataSize else {
                throw FormatError(path, "tensor '\(t.name)': data at offset \(t.offset) + \(t.byteCount) bytes is out of bounds: it ends past the end of the file (data section holds \(max(dataSize, 0)) bytes)")
            }
        }
        let sorted = tensors.filter { $0.byteCount > 0 }.sorted { $0.offset < $1.offset }
        for (a, b) in zip(sorted, sorted.dropFirst()) where b.offset < a.offset + a.byteCount {
            throw FormatError(path, "tensors '\(a.name)' (offset \(a.offset), \(a.byteCount) bytes) and '\(b.name)' (offset \(b.offset)) overlap")
        }
    }
}

extension GGMLType {
    /// Bytes for `elements` elements (nil unless a whole number of blocks, or on overflow).
    func byteCount(elements: Int) -> Int? {
        guard elements % blockSize == 0 else { return nil }
        let (r, o) = (elements / blockSize).multipliedReportingOverflow(by: typeSize)
        return o ? nil : r
    }
}
