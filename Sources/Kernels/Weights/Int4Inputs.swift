#if canImport(Glibc)
import Glibc
#endif

/// How inputs meet 4-bit weights (int4 bundles, GGUF Q4_0) in products of three or more input
/// rows. A bundle may pin it (`vlmembed convert --int4-inputs`, recorded in its manifest and
/// carried by each weight as `WeightMatrix.preferredInputs`); `VLMEMBED_INT4_INPUTS` (`int16` or
/// `int8`) overrides that for the whole process; without either it is `int16`.
public enum Int4Inputs: String, CaseIterable, Sendable {
    /// The weights' own precision: on `avx2` inputs are rounded to int16 per 256-column block
    /// (relative 2⁻¹⁶, `Int16Product`), on `generic` they stay fp32. The paths agree to a cosine
    /// of 0.9999999. The default.
    case int16
    /// Inputs rounded to int8 per 32-column block on every path, as llama.cpp's Q4_0 × Q8_0 does
    /// (`Int8InputProduct`): about 1.5× the int4 product speed on `avx2`, at the cost of the
    /// inputs' rounding (½·max|x|/127 a block), which random-weight models amplify.
    case int8

    /// The setting named by `VLMEMBED_INT4_INPUTS`, or nil when it is unset or empty. Throws a
    /// one-line message for any other value.
    public static func resolve(environment value: String?) throws(KernelISAError) -> Int4Inputs? {
        guard let value, !value.isEmpty else { return nil }
        guard let inputs = Int4Inputs(rawValue: value.lowercased()) else {
            throw KernelISAError(message: "VLMEMBED_INT4_INPUTS=\(value): unknown setting (one of: \(allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return inputs
    }

    /// The process-wide override from `VLMEMBED_INT4_INPUTS`, nil when unset (the command line
    /// reports a bad value before any work starts).
    public static let process: Int4Inputs? = (try? resolve(environment: getenv("VLMEMBED_INT4_INPUTS").map { String(cString: $0) })) ?? nil

    /// A setting forced for the current task (tests); nil: `process`.
    @TaskLocal public static var forced: Int4Inputs?

    /// The setting a weight that prefers `preferred` (its bundle's choice) is applied with now:
    /// the forced one, else the environment's, else `preferred`.
    public static func active(preferring preferred: Int4Inputs) -> Int4Inputs {
        forced ?? process ?? preferred
    }

    /// The setting for weights without a preference of their own (GGUF sources, unpinned bundles).
    public static var active: Int4Inputs { active(preferring: .int16) }
}
