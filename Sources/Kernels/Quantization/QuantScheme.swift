/// How a linear weight is stored in a bundle: a plain float type, or one of the pinned
/// integer quantizations (`Fixtures/reference/quant/README.md`).
public enum QuantScheme: Sendable, Hashable {
    case f32, f16, bf16, int8
    /// 4-bit codes with one float16 scale per `group` consecutive input columns of a row
    /// (plus a 4-bit zero point per group when `asymmetric`).
    case int4(group: Int, asymmetric: Bool)

    /// "f32", "f16", "bf16", "int8", "int4_sym_g64", "int4_asym_g32", ...
    public var name: String {
        switch self {
        case .f32: return "f32"
        case .f16: return "f16"
        case .bf16: return "bf16"
        case .int8: return "int8"
        case .int4(let group, let asymmetric): return "int4_\(asymmetric ? "asym" : "sym")_g\(group)"
        }
    }

    /// The largest int4 group size a scheme name may carry (writers use 32, 64 or 128; a larger
    /// group than a row is one group per row, so nothing needs more).
    public static let maxGroup = 1 << 20

    /// Parses `name`; nil for anything but the canonical spellings (group sizes are positive
    /// decimals without sign or leading zeros, at most `maxGroup`).
    public init?(name: String) {
        switch name {
        case "f32": self = .f32
        case "f16": self = .f16
        case "bf16": self = .bf16
        case "int8": self = .int8
        default:
            let asymmetric: Bool
            let digits: Substring
            if name.hasPrefix("int4_sym_g") {
                asymmetric = false
                digits = name.dropFirst("int4_sym_g".count)
            } else if name.hasPrefix("int4_asym_g") {
                asymmetric = true
                digits = name.dropFirst("int4_asym_g".count)
            } else {
                return nil
            }
            guard let group = Int(digits), group > 0, group <= QuantScheme.maxGroup, String(group) == digits else { return nil }
            self = .int4(group: group, asymmetric: asymmetric)
        }
    }

    /// True for the integer schemes (int8, int4), false for the float passthroughs.
    public var isQuantized: Bool {
        switch self {
        case .int8, .int4: return true
        case .f32, .f16, .bf16: return false
        }
    }

    /// The `WeightMatrix` storage that reads this scheme's layout.
    public var storage: WeightMatrix.Storage {
        switch self {
        case .f32: return .f32
        case .f16: return .f16
        case .bf16: return .bf16
        case .int8: return .int8
        case .int4(let group, let asymmetric): return .int4(group: group, asymmetric: asymmetric)
        }
    }
}
