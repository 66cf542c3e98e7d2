/// Reading and writing GGUF metadata values in their on-disk encoding (little-endian).
enum GGUFValueCoding {
    /// Deepest array nesting accepted (guards the recursion against hostile files).
    static let maxNestingDepth = 16

    /// Reads a GGUF string: u64 byte length, then the bytes. The length is checked against the
    /// remaining file before anything is allocated. Invalid UTF-8 is replaced (U+FFFD) unless
    /// `strict`, in which case it is an error.
    static func readString(_ r: inout ByteReader, _ what: @autoclosure () -> String, strict: Bool = false) throws -> String {
        let n = try r.read(UInt64.self, "length of \(what())")
        guard n <= UInt64(r.remaining) else {
            throw FormatError(r.file, "truncated: \(what()) has length \(n), more than the \(r.remaining) bytes left in the file")
        }
        if strict { return try r.readUTF8(Int(n), what()) }
        let raw = try r.readBytes(Int(n), what())
        return String(decoding: raw, as: UTF8.self)
    }

    /// Reads a value type id.
    static func readType(_ r: inout ByteReader, _ what: @autoclosure () -> String) throws -> GGUFValueType {
        let id = try r.read(UInt32.self, "type of \(what())")
        guard let t = GGUFValueType(rawValue: id) else {
            throw FormatError(r.file, "\(what()) has invalid value type \(id)")
        }
        return t
    }

    /// Reads one value of type `type`.
    static func readValue(_ r: inout ByteReader, type: GGUFValueType, _ what: @autoclosure () -> String, depth: Int = 0) throws -> GGUFValue {
        switch type {
        case .uint8: return .uint8(try r.read(UInt8.self, what()))
        case .int8: return .int8(try r.read(Int8.self, what()))
        case .uint16: return .uint16(try r.read(UInt16.self, what()))
        case .int16: return .int16(try r.read(Int16.self, what()))
        case .uint32: return .uint32(try r.read(UInt32.self, what()))
        case .int32: return .int32(try r.read(Int32.self, what()))
        case .uint64: return .uint64(try r.read(UInt64.self, what()))
        case .int64: return .int64(try r.read(Int64.self, what()))
        case .float32: return .float32(try r.readFloat(what()))
        case .float64: return .float64(try r.readDouble(what()))
        case .bool: return .bool(try r.read(UInt8.self, what()) != 0)
        case .string: return .string(try readString(&r, what()))
        case .array:
            guard depth < maxNestingDepth else {
                throw FormatError(r.file, "\(what()) nests arrays deeper than \(maxNestingDepth) levels")
            }
            let elementType = try readType(&r, "elements of \(what())")
            let count = try r.read(UInt64.self, "element count of \(what())")
            // Every element takes at least minimumEncodedSize bytes: reject absurd counts before allocating.
            let maxCount = UInt64(r.remaining / elementType.minimumEncodedSize)
            guard count <= maxCount else {
                throw FormatError(r.file, "truncated: \(what()) claims \(count) \(elementType) elements, more than the \(r.remaining) bytes left in the file can hold")
            }
            let n = Int(count)
            var values: [GGUFValue] = []
            values.reserveCapacity(n)
            for i in 0..<n {
                values.append(try readValue(&r, type: elementType, "\(what())[\(i)]", depth: depth + 1))
            }
            return .array(elementType: elementType, values: values)
        }
    }

    // MARK: Writing

    static func append<T: FixedWidthInteger>(_ v: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
    }

    static func appendString(_ s: String, to out: inout [UInt8]) {
        let utf8 = Array(s.utf8)
        append(UInt64(utf8.count), to: &out)
        out.append(contentsOf: utf8)
    }

    /// Appends the value's payload (without its type tag). Throws when an array holds an
    /// element whose type differs from the array's element type.
    static func appendValue(_ v: GGUFValue, to out: inout [UInt8], key: String) throws {
        switch v {
        case .uint8(let x): append(x, to: &out)
        case .int8(let x): append(x, to: &out)
        case .uint16(let x): append(x, to: &out)
        case .int16(let x): append(x, to: &out)
        case .uint32(let x): append(x, to: &out)
        case .int32(let x): append(x, to: &out)
        case .uint64(let x): append(x, to: &out)
        case .int64(let x): append(x, to: &out)
        case .float32(let x): append(x.bitPattern, to: &out)
        case .float64(let x): append(x.bitPattern, to: &out)
        case .bool(let x): out.append(x ? 1 : 0)
        case .string(let s): appendString(s, to: &out)
        case .array(let elementType, let values):
            append(elementType.rawValue, to: &out)
            append(UInt64(values.count), to: &out)
            for (i, e) in values.enumerated() {
                guard e.type == elementType else {
                    throw FormatError(key, "array element \(i) is \(e.type), but the array holds \(elementType)")
                }
                try appendValue(e, to: &out, key: key)
            }
        }
    }
}
