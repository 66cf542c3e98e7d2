@testable import Kernels
import Testing

/// The `avx512` variants of the integer panel products (`IntegerProductKernel.avx512vnni`:
/// `vpdpwssd`/`vpdpbusd`; `.avx512bw`: `vpmaddwd`/`vpmaddubsw` on zmm) against the scalar
/// emulations of `Int16ProductTests` and `Int8InputProductTests`, bit for bit, and against the
/// `avx2` kernel, bit for bit: the same input quantization, exact integer sums and fp32 order.
/// Input counts cover the 12-row tiles (two packing tiles) with and without a partial or lone
/// tile; weight row counts cover panel pairs and a lone last panel. Skipped on CPUs without
/// AVX512F/BW/VL (the VNNI variant also without AVX512-VNNI).
@Suite(.enabled(if: KernelISA.avx512.isSupported(), "CPU lacks AVX512F/BW/VL: no avx512 path to check"))
struct AVX512ProductTests {
    /// The avx512 variants this CPU runs.
    static let variants = IntegerProductKernel.supported.filter(\.isAVX512)

    @Test(arguments: variants, [1, 3, 6, 12, 13, 25])
    func int16InputsBitIdenticalToEmulationAndAVX2(kernel: IntegerProductKernel, n: Int) throws {
        var rng = SplitMix64(seed: UInt64(1800 + n))
        var keep = [AnyObject]()
        var cases = Int16ProductTests.cases(&rng)
        cases.append(("int8 37×3072", Int16ProductTests.int8(rows: 37, columns: 3072, &rng)))
        cases.append(("int4 g32 50×640", Int16ProductTests.int4(rows: 50, columns: 640, group: 32, asymmetric: false, &rng)))
        var checked = 0
        for (name, w) in cases {
            let matrix = w.matrix(&keep)
            var x = (0..<(n * w.columns)).map { _ in Float.random(in: -3...3, using: &rng) * (Bool.random(using: &rng) ? 1 : 0.001) }
            for k in 0..<w.columns { x[k] = 0 }
            let got = try Int16ProductTests.product(matrix, x, n: n, kernel: kernel)
            let want = Int16ProductTests.emulate(w, x, n: n)
            let viaAVX2 = try Int16ProductTests.product(matrix, x, n: n, kernel: .avx2)
            let differ = zip(got, want).filter { $0.bitPattern != $1.bitPattern }.count
            #expect(differ == 0, "\(kernel) \(name) n=\(n): \(differ) of \(got.count) outputs differ from the emulation")
            #expect(got.map(\.bitPattern) == viaAVX2.map(\.bitPattern), "\(kernel) \(name) n=\(n): differs from avx2")
            checked += got.count
        }
        print("AVX512-PRODUCT \(kernel) int16 inputs n=\(n): \(checked) outputs bit-identical to the emulation and to avx2")
    }

    @Test(arguments: variants, [1, 6, 7, 12, 19, 25])
    func int8InputsBitIdenticalToEmulationAndAVX2(kernel: IntegerProductKernel, n: Int) throws {
        var rng = SplitMix64(seed: UInt64(1900 + n))
        var keep = [AnyObject]()
        var cases = Int8InputProductTests.cases(&rng)
        cases.append(("int4 g32 asym 49×3072", Int16ProductTests.int4(rows: 49, columns: 3072, group: 32, asymmetric: true, &rng)))
        var checked = 0
        for (name, w) in cases {
            let matrix = w.matrix(&keep)
            var x = (0..<(n * w.columns)).map { _ in Float.random(in: -3...3, using: &rng) * (Bool.random(using: &rng) ? 1 : 0.001) }
            for k in 0..<w.columns { x[k] = 0 }
            if n > 1 { for k in 0..<w.columns { x[w.columns + k] = 127 * Float(k % 2 == 0 ? 1 : -1) } }  // every code ±127
            let got = try Int8InputProductTests.product(matrix, x, n: n, kernel: kernel)
            let want = Int8InputProductTests.emulate(w, x, n: n)
            let viaAVX2 = try Int8InputProductTests.product(matrix, x, n: n, kernel: .avx2)
            let differ = zip(got, want).filter { $0.bitPattern != $1.bitPattern }.count
            #expect(differ == 0, "\(kernel) \(name) n=\(n): \(differ) of \(got.count) outputs differ from the emulation")
            #expect(got.map(\.bitPattern) == viaAVX2.map(\.bitPattern), "\(kernel) \(name) n=\(n): differs from avx2")
            checked += got.count
        }
        print("AVX512-PRODUCT \(kernel) int8 inputs n=\(n): \(checked) outputs bit-identical to the emulation and to avx2")
    }

    /// A NaN or infinity in an input row makes that row's outputs NaN and leaves the other rows of
    /// its 12-row tile untouched, in both products.
    @Test(arguments: variants)
    func nonFiniteInputRowsStayNonFinite(kernel: IntegerProductKernel) throws {
        var rng = SplitMix64(seed: 79)
        var keep = [AnyObject]()
        let n = 13
        let w16 = Int16ProductTests.int8(rows: 34, columns: 300, &rng), m16 = w16.matrix(&keep)
        let x16 = (0..<(n * w16.columns)).map { _ in Float.random(in: -2...2, using: &rng) }
        try expectNonFiniteRowsStayNonFinite(x16, n: n, columns: w16.columns, outputs: w16.rows,
                                             want: try Int16ProductTests.product(m16, x16, n: n, kernel: kernel),
                                             at: [(0, 0, Float.nan), (7, 297, .nan), (11, 260, .infinity), (12, 5, -.infinity)]) {
            try Int16ProductTests.product(m16, $0, n: n, kernel: kernel)
        }
        let w8 = Int16ProductTests.int4(rows: 34, columns: 320, group: 32, asymmetric: false, &rng), m8 = w8.matrix(&keep)
        let x8 = (0..<(n * w8.columns)).map { _ in Float.random(in: -2...2, using: &rng) }
        try expectNonFiniteRowsStayNonFinite(x8, n: n, columns: w8.columns, outputs: w8.rows,
                                             want: try Int8InputProductTests.product(m8, x8, n: n, kernel: kernel),
                                             at: [(0, 0, Float.nan), (7, 319, .nan), (11, 40, .infinity), (12, 100, -.infinity)]) {
            try Int8InputProductTests.product(m8, $0, n: n, kernel: kernel)
        }
    }

    /// With AVX512-VNNI on the CPU, the `avx512` path runs the VNNI variant.
    @Test func theActivePathPicksVNNIWhereTheCPUHasIt() {
        KernelISA.$forced.withValue(.avx512) {
            #expect(IntegerProductKernel.active == (CPUFeatures.current.hasAVX512VNNI ? .avx512vnni : .avx512bw))
        }
        KernelISA.$forced.withValue(.avx2) { #expect(IntegerProductKernel.active == .avx2) }
    }
}
