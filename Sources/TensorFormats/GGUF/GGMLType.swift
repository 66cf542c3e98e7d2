/// A ggml tensor type: its numeric id in GGUF files, its name, and its block geometry.
public struct GGMLType: Sendable, Hashable, CustomStringConvertible {
    /// The id stored in a GGUF tensor info.
    public let id: UInt32
    /// The name ggml gives it (`Q4_K`).
    public let name: String
    /// Elements per block.
    public let blockSize: Int
    /// Bytes per block.
    public let typeSize: Int

    public var description: String { name }

    public static let f32 = GGMLType(id: 0, name: "F32", blockSize: 1, typeSize: 4)
    public static let f16 = GGMLType(id: 1, name: "F16", blockSize: 1, typeSize: 2)
    public static let q4_0 = GGMLType(id: 2, name: "Q4_0", blockSize: 32, typeSize: 18)
    public static let q4_1 = GGMLType(id: 3, name: "Q4_1", blockSize: 32, typeSize: 20)
    public static let q5_0 = GGMLType(id: 6, name: "Q5_0", blockSize: 32, typeSize: 22)
    public static let q5_1 = GGMLType(id: 7, name: "Q5_1", blockSize: 32, typeSize: 24)
    public static let q8_0 = GGMLType(id: 8, name: "Q8_0", blockSize: 32, typeSize: 34)
    public static let q8_1 = GGMLType(id: 9, name: "Q8_1", blockSize: 32, typeSize: 36)
    public static let q2_K = GGMLType(id: 10, name: "Q2_K", blockSize: 256, typeSize: 84)
    public static let q3_K = GGMLType(id: 11, name: "Q3_K", blockSize: 256, typeSize: 110)
    public static let q4_K = GGMLType(id: 12, name: "Q4_K", blockSize: 256, typeSize: 144)
    public static let q5_K = GGMLType(id: 13, name: "Q5_K", blockSize: 256, typeSize: 176)
    public static let q6_K = GGMLType(id: 14, name: "Q6_K", blockSize: 256, typeSize: 210)
    public static let q8_K = GGMLType(id: 15, name: "Q8_K", blockSize: 256, typeSize: 292)
    public static let iq2_xxs = GGMLType(id: 16, name: "IQ2_XXS", blockSize: 256, typeSize: 66)
    public static let iq2_xs = GGMLType(id: 17, name: "IQ2_XS", blockSize: 256, typeSize: 74)
    public static let iq3_xxs = GGMLType(id: 18, name: "IQ3_XXS", blockSize: 256, typeSize: 98)
    public static let iq1_s = GGMLType(id: 19, name: "IQ1_S", blockSize: 256, typeSize: 50)
    public static let iq4_nl = GGMLType(id: 20, name: "IQ4_NL", blockSize: 32, typeSize: 18)
    public static let iq3_s = GGMLType(id: 21, name: "IQ3_S", blockSize: 256, typeSize: 110)
    public static let iq2_s = GGMLType(id: 22, name: "IQ2_S", blockSize: 256, typeSize: 82)
    public static let iq4_xs = GGMLType(id: 23, name: "IQ4_XS", blockSize: 256, typeSize: 136)
    public static let i8 = GGMLType(id: 24, name: "I8", blockSize: 1, typeSize: 1)
    public static let i16 = GGMLType(id: 25, name: "I16", blockSize: 1, typeSize: 2)
    public static let i32 = GGMLType(id: 26, name: "I32", blockSize: 1, typeSize: 4)
    public static let i64 = GGMLType(id: 27, name: "I64", blockSize: 1, typeSize: 8)
    public static let f64 = GGMLType(id: 28, name: "F64", blockSize: 1, typeSize: 8)
    public static let iq1_m = GGMLType(id: 29, name: "IQ1_M", blockSize: 256, typeSize: 56)
    public static let bf16 = GGMLType(id: 30, name: "BF16", blockSize: 1, typeSize: 2)
    public static let tq1_0 = GGMLType(id: 34, name: "TQ1_0", blockSize: 256, typeSize: 54)
    public static let tq2_0 = GGMLType(id: 35, name: "TQ2_0", blockSize: 256, typeSize: 66)
    public static let mxfp4 = GGMLType(id: 39, name: "MXFP4", blockSize: 32, typeSize: 17)

    /// Every type id this reader knows the geometry of.
    public static let all: [GGMLType] = [
        f32, f16, q4_0, q4_1, q5_0, q5_1, q8_0, q8_1, q2_K, q3_K, q4_K, q5_K, q6_K, q8_K,
        iq2_xxs, iq2_xs, iq3_xxs, iq1_s, iq4_nl, iq3_s, iq2_s, iq4_xs, i8, i16, i32, i64, f64,
        iq1_m, bf16, tq1_0, tq2_0, mxfp4,
    ]

    /// The type with this id, or nil for an unknown or removed id.
    public static func byID(_ id: UInt32) -> GGMLType? {
        all.first { $0.id == id }
    }

    /// The type with this name (case-insensitive), or nil.
    public static func byName(_ name: String) -> GGMLType? {
        let n = name.uppercased()
        return all.first { $0.name == n }
    }

    /// The plain dtype this type is, when it is not block-quantized.
    public var denseType: DType? {
        switch id {
        case 0: return .f32
        case 1: return .f16
        case 24: return .i8
        case 25: return .i16
        case 26: return .i32
        case 27: return .i64
        case 28: return .f64
        case 30: return .bf16
        default: return nil
        }
    }

    /// The tensor encoding a GGUF tensor of this type has: plain types map to `.dense`.
    public var encoding: TensorEncoding {
        if let d = denseType { return .dense(d) }
        return .ggml(self)
    }
}
