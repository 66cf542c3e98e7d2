/// Which compiled variant of the integer panel products (`Int16Product`, `Int8InputProduct`)
/// runs: the register width and the multiply-add instruction. All variants give the same bits
/// (exact integer sums, one fp32 order); they differ in speed only.
enum IntegerProductKernel: String, CaseIterable, Sendable {
    /// ymm: `vpmaddwd` (int16 inputs), `vpmaddubsw` (8-bit inputs). The `avx2` path.
    case avx2
    /// zmm: `vpmaddwd` + `vpaddd`, `vpmaddubsw` + `vpaddw`. The `avx512` path without AVX512-VNNI.
    case avx512bw
    /// zmm: `vpdpwssd`, `vpdpbusd`. The `avx512` path with AVX512-VNNI.
    case avx512vnni

    /// Whether this CPU runs the variant.
    func isSupported(by cpu: CPUFeatures = .current) -> Bool {
        switch self {
        case .avx2: return KernelISA.avx2.isSupported(by: cpu)
        case .avx512bw: return KernelISA.avx512.isSupported(by: cpu)
        case .avx512vnni: return KernelISA.avx512.isSupported(by: cpu) && cpu.hasAVX512VNNI
        }
    }

    /// The variants this CPU runs (what tests compare with each other).
    static var supported: [IntegerProductKernel] { allCases.filter { $0.isSupported() } }

    /// The variant the active path (`KernelISA.active`) runs; `avx2` when that path runs none
    /// (callers that reach the products directly, such as tests, on `generic`).
    static var active: IntegerProductKernel {
        guard KernelISA.active == .avx512 else { return .avx2 }
        return CPUFeatures.current.hasAVX512VNNI ? .avx512vnni : .avx512bw
    }

    var isAVX512: Bool { self != .avx2 }
    /// The `vnni` argument of the C kernels.
    var vnniFlag: Int32 { self == .avx512vnni ? 1 : 0 }
}
