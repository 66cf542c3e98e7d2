/// The type tag of a GGUF metadata value, with the id GGUF files store.
public enum GGUFValueType: UInt32, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case uint8 = 0
    case int8 = 1
    case uint16 = 2
    case int16 = 3
    case uint32 = 4
    case int32 = 5
    case float32 = 6
    case bool = 7
    case string = 8
    case array = 9
    case uint64 = 10
    case int64 = 11
    case float64 = 12

    /// The name the GGUF spec uses (`UINT32`).
    public var description: String {
        switch self {
        case .uint8: return "UINT8"
        case .int8: return "INT8"
        case .uint16: return "UINT16"
        case .int16: return "INT16"
        case .uint32: return "UINT32"
        case .int32: return "INT32"
        case .float32: return "FLOAT32"
        case .bool: return "BOOL"
        case .string: return "STRING"
        case .array: return "ARRAY"
        case .uint64: return "UINT64"
        case .int64: return "INT64"
        case .float64: return "FLOAT64"
        }
    }

    /// Bytes one value of a fixed-size type takes; nil for STRING and ARRAY.
    public var fixedSize: Int? {
        switch self {
        case .uint8, .int8, .bool: return 1
        case .uint16, .int16: return 2
        case .uint32, .int32, .float32: return 4
        case .uint64, .int64, .float64: return 8
        case .string, .array: return nil
        }
    }

    /// The fewest bytes one encoded value of this type can take (a string is at least its
    /// 8-byte length, an array its 4-byte element type and 8-byte count).
    public var minimumEncodedSize: Int {
        switch self {
        case .string: return 8
        case .array: return 12
        default: return fixedSize ?? 1
        }
    }
}

/// One GGUF metadata value. Arrays may nest (the GGUF spec allows arrays of arrays;
/// ggml itself refuses them, this reader accepts them).
public indirect enum GGUFValue: Sendable, Hashable {
    case uint8(UInt8)
    case int8(Int8)
    case uint16(UInt16)
    case int16(Int16)
    case uint32(UInt32)
    case int32(Int32)
    case float32(Float)
    case bool(Bool)
    case string(String)
    /// An array whose elements all have type `elementType` (an empty array keeps its type).
    case array(elementType: GGUFValueType, values: [GGUFValue])
    case uint64(UInt64)
    case int64(Int64)
    case float64(Double)

    /// The value's type tag.
    public var type: GGUFValueType {
        switch self {
        case .uint8: return .uint8
        case .int8: return .int8
        case .uint16: return .uint16
        case .int16: return .int16
        case .uint32: return .uint32
        case .int32: return .int32
        case .float32: return .float32
        case .bool: return .bool
        case .string: return .string
        case .array: return .array
        case .uint64: return .uint64
        case .int64: return .int64
        case .float64: return .float64
        }
    }

    /// The text of a STRING value.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// Any integer value that is non-negative, widened to `UInt64`.
    public var uint64Value: UInt64? {
        switch self {
        case .uint8(let v): return UInt64(v)
        case .uint16(let v): return UInt64(v)
        case .uint32(let v): return UInt64(v)
        case .uint64(let v): return v
        case .int8(let v): return v >= 0 ? UInt64(v) : nil
        case .int16(let v): return v >= 0 ? UInt64(v) : nil
        case .int32(let v): return v >= 0 ? UInt64(v) : nil
        case .int64(let v): return v >= 0 ? UInt64(v) : nil
        default: return nil
        }
    }

    /// Any integer value that fits `Int64`.
    public var int64Value: Int64? {
        switch self {
        case .int8(let v): return Int64(v)
        case .int16(let v): return Int64(v)
        case .int32(let v): return Int64(v)
        case .int64(let v): return v
        case .uint8(let v): return Int64(v)
        case .uint16(let v): return Int64(v)
        case .uint32(let v): return Int64(v)
        case .uint64(let v): return v <= UInt64(Int64.max) ? Int64(v) : nil
        default: return nil
        }
    }

    /// A FLOAT32 or FLOAT64 value (integers are not converted).
    public var doubleValue: Double? {
        switch self {
        case .float32(let v): return Double(v)
        case .float64(let v): return v
        default: return nil
        }
    }

    /// A BOOL value.
    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The elements of an ARRAY value.
    public var arrayValue: [GGUFValue]? {
        if case .array(_, let values) = self { return values }
        return nil
    }

    /// The elements of an array of STRING.
    public var stringArrayValue: [String]? {
        guard case .array(let t, let values) = self, t == .string else { return nil }
        return values.compactMap(\.stringValue)
    }

    /// The elements of an array of FLOAT32/FLOAT64, as `Double`.
    public var doubleArrayValue: [Double]? {
        guard case .array(let t, let values) = self, t == .float32 || t == .float64 else { return nil }
        return values.compactMap(\.doubleValue)
    }

    /// The elements of an array of integers, as `Int64` (nil if one does not fit).
    public var int64ArrayValue: [Int64]? {
        guard case .array(_, let values) = self else { return nil }
        var out: [Int64] = []
        out.reserveCapacity(values.count)
        for v in values {
            guard let i = v.int64Value else { return nil }
            out.append(i)
        }
        return out
    }
}

extension GGUFValue: CustomStringConvertible {
    /// A short rendering for `inspect` (long arrays are elided).
    public var description: String {
        switch self {
        case .uint8(let v): return "\(v)"
        case .int8(let v): return "\(v)"
        case .uint16(let v): return "\(v)"
        case .int16(let v): return "\(v)"
        case .uint32(let v): return "\(v)"
        case .int32(let v): return "\(v)"
        case .uint64(let v): return "\(v)"
        case .int64(let v): return "\(v)"
        case .float32(let v): return "\(v)"
        case .float64(let v): return "\(v)"
        case .bool(let v): return "\(v)"
        case .string(let s): return "\"\(s)\""
        case .array(let t, let values):
            let shown = values.prefix(8).map(\.description).joined(separator: ", ")
            let more = values.count > 8 ? ", … (\(values.count) \(t))" : ""
            return "[\(shown)\(more)]"
        }
    }
}
