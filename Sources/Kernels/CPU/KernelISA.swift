#if canImport(Glibc)
import Glibc
#endif

/// The instruction-set path the quantized matrix kernels take. Chosen once per process from the
/// CPU's features, or forced with `VLMEMBED_ISA=amx|avx512vnni|avx2|generic`; a test can force a
/// path for one task with `KernelISA.$forced.withValue(_:operation:)`.
///
/// - `avx2`: inputs quantized to int16 per row and 256-column block, codes widened to int16 in
///   packed panels, `vpmaddwd` products summed exactly in int32 per segment, scales applied in fp32
///   (`Int16Product`). Needs AVX2, FMA and F16C.
/// - `generic`: codes widened to their exact fp32 values a tile at a time, then OpenBLAS sgemm.
/// - `avx512vnni`, `amx`: named so they can be requested, but no kernel of this version uses them;
///   requesting one is an error (`KernelISA.resolve`), never a silent fallback.
public enum KernelISA: String, Sendable, CaseIterable, CustomStringConvertible {
    case amx, avx512vnni, avx2, generic

    public var description: String { rawValue }

    /// Paths with a kernel in this build, best first.
    public static let implemented: [KernelISA] = [.avx2, .generic]

    /// Whether this CPU can run the path (`generic`: always).
    public func isSupported(by cpu: CPUFeatures = .current) -> Bool {
        switch self {
        case .amx: return cpu.hasAMXInt8
        case .avx512vnni: return cpu.hasAVX512VNNI
        case .avx2: return cpu.hasAVX2 && cpu.flags.contains("fma") && cpu.flags.contains("f16c")
        case .generic: return true
        }
    }

    /// The implemented paths this CPU runs, best first (what tests iterate over).
    public static var available: [KernelISA] { implemented.filter { $0.isSupported() } }

    /// Why a requested path cannot run, as one line (nil when it can).
    public static func problem(with requested: KernelISA, cpu: CPUFeatures = .current) -> String? {
        if !implemented.contains(requested) {
            return "VLMEMBED_ISA=\(requested): this build has no \(requested) kernel (paths: \(implemented.map(\.rawValue).joined(separator: ", ")))"
        }
        if !requested.isSupported(by: cpu) {
            return "VLMEMBED_ISA=\(requested): this CPU lacks it (has: \(available.map(\.rawValue).joined(separator: ", ")))"
        }
        return nil
    }

    /// The path named by `VLMEMBED_ISA`, or the best available one when it is unset or empty.
    /// Throws a one-line message for an unknown, unimplemented or unsupported name.
    public static func resolve(environment value: String?) throws(KernelISAError) -> KernelISA {
        guard let value, !value.isEmpty else { return available.first ?? .generic }
        guard let isa = KernelISA(rawValue: value.lowercased()) else {
            throw KernelISAError(message: "VLMEMBED_ISA=\(value): unknown path (one of: \(allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        if let problem = problem(with: isa) { throw KernelISAError(message: problem) }
        return isa
    }

    /// The process-wide path: `VLMEMBED_ISA` when it names a runnable path, else the best
    /// available one (the command line reports a bad `VLMEMBED_ISA` before any work starts).
    public static let process: KernelISA = {
        let value = getenv("VLMEMBED_ISA").map { String(cString: $0) }
        return (try? resolve(environment: value)) ?? available.first ?? .generic
    }()

    /// A path forced for the current task (tests); nil: `process`.
    @TaskLocal public static var forced: KernelISA?

    /// The path kernels take now.
    public static var active: KernelISA { forced ?? process }
}

/// A bad `VLMEMBED_ISA` (or `VLMEMBED_INT4_INPUTS`) value, as one line.
public struct KernelISAError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
}
