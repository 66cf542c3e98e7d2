#if canImport(Glibc)
import Glibc
#endif

/// fp32 GEMM through OpenBLAS, loaded at first use with `dlopen`.
///
/// Loading lazily lets us set `OPENBLAS_CORETYPE` before the library initialises: Debian's
/// OpenBLAS 0.3.21 misdetects recent AVX-512 Xeons as "Prescott" and runs sgemm about 5× slower.
/// When the variable is unset and the CPU has AVX-512, we set it to `SkylakeX`, on AMD cores too:
/// on a Zen 5 EPYC its sgemm passes the odd-shape bound test (`BLASTests`) and runs as fast as the
/// `Zen`/`Haswell` kernels (about 100 GFLOP/s a core, within noise), so no per-vendor choice is
/// needed. Likewise
/// `OPENBLAS_THREAD_TIMEOUT=4`: OpenBLAS's workers otherwise spin (sched_yield) for about 2²⁸
/// cycles after each threaded GEMM, taking turns on the cores our own kernel threads need next
/// (attention's GEMMs are followed by the integer product). A user's own settings are respected.
/// Without OpenBLAS a portable (slow) Swift GEMM is used.
public enum BLAS {
    public enum Transpose: Int32 { case no = 111, yes = 112 }

    typealias SgemmFn = @convention(c) (Int32, Int32, Int32, Int32, Int32, Int32, Float,
        UnsafePointer<Float>?, Int32, UnsafePointer<Float>?, Int32, Float, UnsafeMutablePointer<Float>?, Int32) -> Void
    typealias SetThreadsFn = @convention(c) (Int32) -> Void
    typealias CorenameFn = @convention(c) () -> UnsafeMutablePointer<CChar>?

    struct Library: @unchecked Sendable {
        let sgemm: SgemmFn?
        let setThreads: SetThreadsFn?
        let corename: String
        /// `OPENBLAS_CORETYPE` as the environment had it before we looked (nil: unset).
        let preset: String?
    }

    static let library: Library = {
        let preset = getenv("OPENBLAS_CORETYPE").map { String(cString: $0) }
        if preset == nil && CPUFeatures.current.hasAVX512 {
            setenv("OPENBLAS_CORETYPE", "SkylakeX", 0)
        }
        setenv("OPENBLAS_THREAD_TIMEOUT", "4", 0)
        let names = ["libopenblas.so.0", "libopenblas.so", "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
                     "/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0"]
        for name in names {
            guard let h = dlopen(name, RTLD_NOW | RTLD_LOCAL) else { continue }
            guard let s = dlsym(h, "cblas_sgemm") else { continue }
            let setThreads = dlsym(h, "openblas_set_num_threads").map { unsafeBitCast($0, to: SetThreadsFn.self) }
            let core = dlsym(h, "openblas_get_corename").map { unsafeBitCast($0, to: CorenameFn.self) }
            let corename = core.flatMap { $0() }.map { String(cString: $0) } ?? "unknown"
            return Library(sgemm: unsafeBitCast(s, to: SgemmFn.self), setThreads: setThreads, corename: corename, preset: preset)
        }
        return Library(sgemm: nil, setThreads: nil, corename: "none (portable Swift GEMM)", preset: preset)
    }()

    /// `OPENBLAS_CORETYPE` as the user's environment set it (nil when unset, and then `SkylakeX` on
    /// AVX-512 CPUs is our choice); a preset is respected as it is.
    public static var presetCoreType: String? { library.preset }

    /// Sets how many threads OpenBLAS uses for one GEMM.
    public static func setThreadCount(_ n: Int) {
        library.setThreads?(Int32(clamping: max(1, n)))
    }

    /// The kernel family OpenBLAS chose (e.g. "SkylakeX"), or a note that it is absent.
    public static var backendDescription: String {
        library.sgemm == nil ? library.corename : "OpenBLAS (\(library.corename))"
    }

    /// C[M×N] = alpha · op(A)[M×K] · op(B)[K×N] + beta · C, row-major.
    public static func sgemm(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if m == 0 || n == 0 { return }
        if let f = library.sgemm {
            f(101, transA.rawValue, transB.rawValue, Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
        } else {
            PortableGEMM.sgemm(transA == .yes, transB == .yes, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        }
    }
}

/// A straightforward row-major GEMM for machines without OpenBLAS.
enum PortableGEMM {
    static func sgemm(_ ta: Bool, _ tb: Bool, m: Int, n: Int, k: Int, alpha: Float,
                      a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                      beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        var row = [Float](repeating: 0, count: n)
        for i in 0..<m {
            for j in 0..<n { row[j] = 0 }
            for p in 0..<k {
                let av = ta ? a[p * lda + i] : a[i * lda + p]
                if av == 0 { continue }
                if tb { for j in 0..<n { row[j] += av * b[j * ldb + p] } } else { for j in 0..<n { row[j] += av * b[p * ldb + j] } }
            }
            for j in 0..<n { c[i * ldc + j] = alpha * row[j] + (beta == 0 ? 0 : beta * c[i * ldc + j]) }
        }
    }
}
