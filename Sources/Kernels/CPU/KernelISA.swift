#if canImport(Glibc)
import Glibc
#endif

/// The instruction-set path the quantized matrix kernels take. Chosen once per process from the
/// CPU's features (the best verified path it has), or forced with
/// `VLMEMBED_ISA=amx|avx512|avx2|generic` (`avx512vnni` is accepted as an older name of `avx512`);
/// a test can force a path for one task with `KernelISA.$forced.withValue(_:operation:)`.
///
/// - `avx512`: the `avx2` path's arithmetic on zmm registers, bit for bit: the same int16 (and,
///   for 4-bit weights with `int8` inputs, int8) input quantization, the same packed panels, the
///   same exact int32 sums per segment and fp32 scale order, with `vpdpwssd`/`vpdpbusd` where the
///   CPU has AVX512-VNNI and `vpmaddwd`/`vpmaddubsw` on zmm where it has only AVX512BW. Work
///   without a 512-bit kernel (attention, adapter-merge rows) runs the `avx2` kernels. Needs
///   AVX512F/BW/VL besides what `avx2` needs.
/// - `avx2`: inputs quantized to int16 per row and 256-column block, codes widened to int16 in
///   packed panels, `vpmaddwd` products summed exactly in int32 per segment, scales applied in fp32
///   (`Int16Product`). Needs AVX2, FMA and F16C.
/// - `generic`: codes widened to their exact fp32 values a tile at a time, then OpenBLAS sgemm.
/// - `amx`: named so it can be requested, but no kernel of this version uses it; requesting it is
///   an error (`KernelISA.resolve`), never a silent fallback.
public enum KernelISA: String, Sendable, CaseIterable, CustomStringConvertible {
    case amx, avx512, avx2, generic

    public var description: String { rawValue }

    /// Paths with a kernel in this build, best first.
    public static let implemented: [KernelISA] = [.avx512, .avx2, .generic]

    /// Older names still accepted by `resolve`.
    public static let aliases: [String: KernelISA] = ["avx512vnni": .avx512]

    /// Whether this CPU can run the path (`generic`: always).
    public func isSupported(by cpu: CPUFeatures = .current) -> Bool {
        switch self {
        case .amx: return cpu.hasAMXInt8
        case .avx512: return cpu.hasAVX512Kernels && KernelISA.avx2.isSupported(by: cpu)
        case .avx2: return cpu.hasAVX2 && cpu.flags.contains("fma") && cpu.flags.contains("f16c")
        case .generic: return true
        }
    }

    /// What the path needs that `cpu` lacks, as flag names (empty when it can run).
    public func missingFeatures(on cpu: CPUFeatures = .current) -> [String] {
        let needs: [String]
        switch self {
        case .amx: needs = ["amx_int8", "amx_tile"]
        case .avx512: needs = ["avx512f", "avx512bw", "avx512vl", "avx2", "fma", "f16c"]
        case .avx2: needs = ["avx2", "fma", "f16c"]
        case .generic: needs = []
        }
        return needs.filter { !cpu.flags.contains($0) }
    }

    /// Whether quantized weights take the integer panel products (`Int16Product`,
    /// `Int8InputProduct`) on this path, in the variant `IntegerProductKernel.active` names.
    public var runsIntegerProducts: Bool { self == .avx512 || self == .avx2 }

    /// Whether the path runs the `avx2` C kernels for work it has no wider kernel of its own for
    /// (on `avx512`: the blocked attention and the adapter-merge rows).
    public var runsAVX2Kernels: Bool { self == .avx512 || self == .avx2 }

    /// The path as a report names it: `avx512` says which multiply-add it uses on this CPU.
    public func detail(on cpu: CPUFeatures = .current) -> String {
        guard self == .avx512 else { return rawValue }
        return cpu.hasAVX512VNNI ? "avx512 (AVX512-VNNI vpdpwssd/vpdpbusd)" : "avx512 (AVX512BW vpmaddwd/vpmaddubsw)"
    }

    /// The paths this build knows but this CPU cannot run, or that have no kernel in this build,
    /// each with the reason (what `make test` prints as skipped).
    public static func skipped(on cpu: CPUFeatures = .current) -> [(path: KernelISA, reason: String)] {
        allCases.compactMap { isa in
            let missing = isa.missingFeatures(on: cpu)
            if !missing.isEmpty { return (isa, "CPU lacks \(missing.joined(separator: ", "))") }
            if !implemented.contains(isa) { return (isa, "no \(isa) kernel in this build") }
            return nil
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
            let missing = requested.missingFeatures(on: cpu).joined(separator: ", ")
            return "VLMEMBED_ISA=\(requested): this CPU lacks it (missing \(missing); has: \(available.map(\.rawValue).joined(separator: ", ")))"
        }
        return nil
    }

    /// The path named by `VLMEMBED_ISA`, or the best available one when it is unset or empty.
    /// Throws a one-line message for an unknown, unimplemented or unsupported name.
    public static func resolve(environment value: String?) throws(KernelISAError) -> KernelISA {
        guard let value, !value.isEmpty else { return available.first ?? .generic }
        guard let isa = KernelISA(rawValue: value.lowercased()) ?? aliases[value.lowercased()] else {
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
