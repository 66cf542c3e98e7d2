/// One safetensors file, opened by mmap and validated as strictly as the reference reader:
/// header ≤ 100 MB, UTF-8 JSON object, every tensor's byte range inside the data section,
/// no overlaps and no gaps, byte length = shape × dtype size, no trailing bytes.
///
/// Opening reads only the header; tensor bytes are zero-copy views into the mapping.
public struct SafetensorsFile: TensorSource {
    /// The largest header the reference reader accepts.
    public static let maxHeaderLength = 100_000_000

    public let path: String
    public let metadata: [String: String]
    public let tensors: [TensorDescriptor]
    /// Byte ranges of each tensor relative to the file start, in `tensors` order.
    public let fileRanges: [Range<Int>]
    private let file: MappedFile
    private let index: [String: Int]

    public var formatName: String { "safetensors" }
    public var architecture: String? { nil }

    public init(path: String) throws {
        let file = try MappedFile(path: path)
        self.file = file
        self.path = path
        let size = file.count
        guard size >= 8 else {
            throw FormatError(path, "truncated: \(size) bytes, a safetensors file needs at least 8 for its header length")
        }
        let rawLength = file.bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self).littleEndian
        guard rawLength <= UInt64(SafetensorsFile.maxHeaderLength) else {
            throw FormatError(path, "header length \(rawLength) exceeds the \(SafetensorsFile.maxHeaderLength)-byte limit")
        }
        let headerLength = Int(rawLength)
        guard 8 + headerLength <= size else {
            throw FormatError(path, "truncated: header length \(headerLength) runs past the end of the file (\(size) bytes)")
        }
        let headerBytes = file.slice(8..<(8 + headerLength))
        guard headerBytes.first == UInt8(ascii: "{") else {
            throw FormatError(path, "invalid JSON header: the header must be a JSON object starting with '{'")
        }
        let json: JSONValue
        do {
            json = try JSONParser.parse(headerBytes)
        } catch {
            throw FormatError(path, "invalid JSON header: \(error.message) (byte \(error.offset) of the header)")
        }
        guard let entries = json.objectValue else {
            throw FormatError(path, "invalid header: the JSON header must be an object")
        }
        let dataStart = 8 + headerLength
        let dataLength = size - dataStart

        var metadata: [String: String] = [:]
        var parsed: [(TensorDescriptor, Int, Int)] = []
        var seen = Set<String>()
        for (name, value) in entries {
            guard seen.insert(name).inserted else {
                throw FormatError(path, "invalid header: key '\(name)' appears twice")
            }
            if name == "__metadata__" {
                guard let pairs = value.objectValue else {
                    throw FormatError(path, "invalid header: __metadata__ must be an object of strings")
                }
                for (k, v) in pairs {
                    guard let s = v.stringValue else {
                        throw FormatError(path, "invalid header: __metadata__ value for '\(k)' is not a string")
                    }
                    metadata[k] = s
                }
                continue
            }
            parsed.append(try SafetensorsFile.parseEntry(name: name, value: value, path: path))
        }

        // Contiguity in offset order: no overlaps, no gaps, exact coverage.
        let order = parsed.indices.sorted { (parsed[$0].1, parsed[$0].2) < (parsed[$1].1, parsed[$1].2) }
        var expected = 0
        for k in order {
            let (d, begin, end) = parsed[k]
            if begin < expected {
                throw FormatError(path, "tensor '\(d.name)' data_offsets [\(begin), \(end)] overlap the previous tensor (which ends at \(expected))")
            }
            if begin > expected {
                throw FormatError(path, "gap in the data section: tensor '\(d.name)' starts at \(begin), the previous tensor ends at \(expected)")
            }
            if end > dataLength {
                throw FormatError(path, "tensor '\(d.name)' data_offsets [\(begin), \(end)] run out of bounds of the \(dataLength)-byte data section (truncated file?)")
            }
            expected = end
        }
        if expected != dataLength {
            throw FormatError(path, "\(dataLength - expected) trailing bytes after the last tensor (data section is \(dataLength) bytes, tensors cover \(expected))")
        }

        self.metadata = metadata
        self.tensors = parsed.map { $0.0 }
        self.fileRanges = parsed.map { (dataStart + $0.1)..<(dataStart + $0.2) }
        var index: [String: Int] = [:]
        for (i, d) in tensors.enumerated() { index[d.name] = i }
        self.index = index
    }

    private static func parseEntry(name: String, value: JSONValue, path: String) throws -> (TensorDescriptor, Int, Int) {
        guard let dtypeName = value["dtype"]?.stringValue else {
            throw FormatError(path, "invalid header: tensor '\(name)' has no dtype string")
        }
        guard let dtype = DType(rawValue: dtypeName) else {
            throw FormatError(path, "tensor '\(name)': unknown dtype '\(dtypeName)'")
        }
        guard let shapeValues = value["shape"]?.arrayValue else {
            throw FormatError(path, "invalid header: tensor '\(name)' has no shape array")
        }
        var shape: [Int] = []
        for v in shapeValues {
            guard case .int(let d) = v else {
                throw FormatError(path, "tensor '\(name)': shape dimension \(v.serialized()) is not a non-negative integer (or overflows)")
            }
            guard d >= 0 else { throw FormatError(path, "tensor '\(name)': negative shape dimension \(d)") }
            shape.append(d)
        }
        guard let offsets = value["data_offsets"]?.arrayValue, offsets.count == 2,
              case .int(let begin) = offsets[0], case .int(let end) = offsets[1], begin >= 0, end >= 0 else {
            throw FormatError(path, "invalid header: tensor '\(name)' data_offsets must be two non-negative integers")
        }
        guard end >= begin else {
            throw FormatError(path, "tensor '\(name)': data_offsets begin \(begin) is past end \(end)")
        }
        guard let count = TensorDescriptor.checkedElementCount(shape),
              let bytes = TensorEncoding.dense(dtype).byteCount(elements: count) else {
            throw FormatError(path, "tensor '\(name)': shape \(shape) overflows the element count")
        }
        guard bytes == end - begin else {
            throw FormatError(path, "tensor '\(name)': byte length \(end - begin) does not match shape \(shape) × \(dtype.rawValue) (\(bytes) bytes)")
        }
        return (TensorDescriptor(name: name, shape: shape, encoding: .dense(dtype)), begin, end)
    }

    public func tensorData(named name: String) throws -> TensorData {
        guard let i = index[name] else { throw FormatError(path, "no tensor named '\(name)'") }
        return TensorData(descriptor: tensors[i], bytes: file.slice(fileRanges[i]), owner: file)
    }
}
