import Glibc
import Kernels
import Testing

@Suite struct BLASTests {
    /// Debian's OpenBLAS 0.3.21 misdetects AVX-512 Xeons; `BLAS` must select SkylakeX itself,
    /// unless the user preset `OPENBLAS_CORETYPE` (some workplaces set `Haswell` on AMD cores):
    /// a preset is the user's choice and must be what OpenBLAS runs.
    @Test(.enabled(if: CPUFeatures.current.hasAVX512, "CPU has no AVX-512"))
    func selectsSkylakeXOnAVX512UnlessPreset() {
        let description = BLAS.backendDescription
        if let preset = BLAS.presetCoreType, preset.lowercased() != "skylakex" {
            print("KERNEL-INFO OPENBLAS_CORETYPE preset to \(preset) by the environment: respected, SkylakeX not forced (\(description))")
            #expect(getenv("OPENBLAS_CORETYPE").map { String(cString: $0) } == preset, "the preset was overridden")
        } else {
            #expect(description.contains("SkylakeX"), "\(description)")
        }
    }

    /// sgemm on odd shapes (every transpose, alpha and beta) under the core type `BLAS` runs,
    /// against a naive product in Double: each element within the Higham bound γₖ·Σ|aᵢₚbₚⱼ|.
    /// Guards our SkylakeX choice on AMD AVX-512 cores (Zen 4/5) as much as on Xeons.
    @Test func sgemmOnOddShapesWithinTheSummationBound() throws {
        var rng = SplitMix64(seed: 18)
        var worst = 0.0
        for (m, n, k) in [(1, 1, 1), (17, 33, 65), (31, 129, 257), (63, 95, 191), (3, 4097, 5), (129, 17, 333), (200, 301, 517)] {
            for (transA, transB) in [(false, false), (false, true), (true, false), (true, true)] {
                let ta: BLAS.Transpose = transA ? .yes : .no, tb: BLAS.Transpose = transB ? .yes : .no
                let lda = (transA ? m : k) + 1, ldb = (transB ? k : n) + 2, ldc = n + 3
                let a = (0..<((transA ? k : m) * lda)).map { _ in Float.random(in: -1...1, using: &rng) }
                let b = (0..<((transB ? n : k) * ldb)).map { _ in Float.random(in: -1...1, using: &rng) }
                var c = (0..<(m * ldc)).map { _ in Float.random(in: -1...1, using: &rng) }
                let c0 = c, alpha: Float = 1.25, beta: Float = 0.5
                try a.withUnsafeBufferPointer { ap in
                    try b.withUnsafeBufferPointer { bp in
                        try c.withUnsafeMutableBufferPointer { cp in
                            BLAS.sgemm(ta, tb, m: m, n: n, k: k, alpha: alpha, a: try #require(ap.baseAddress), lda: lda,
                                       b: try #require(bp.baseAddress), ldb: ldb, beta: beta, c: try #require(cp.baseAddress), ldc: ldc)
                        }
                    }
                }
                var failures = 0
                for i in 0..<m {
                    for j in 0..<n {
                        var s = 0.0, magnitude = 0.0
                        for p in 0..<k {
                            let product = Double(transA ? a[p * lda + i] : a[i * lda + p]) * Double(transB ? b[j * ldb + p] : b[p * ldb + j])
                            s += product; magnitude += abs(product)
                        }
                        let want = Double(alpha) * s + Double(beta) * Double(c0[i * ldc + j])
                        let u = Double(k + 2) * 0x1p-24
                        let bound = u / (1 - u) * (Double(alpha) * magnitude + Double(beta) * abs(Double(c0[i * ldc + j]))) + 0x1p-140
                        let err = abs(Double(c[i * ldc + j]) - want)
                        if !(err <= bound) { failures += 1 }
                        worst = max(worst, err / bound)
                    }
                }
                #expect(failures == 0, "\(m)×\(n)×\(k) transA=\(transA) transB=\(transB): \(failures) elements outside the bound")
            }
        }
        print("KERNEL-INFO sgemm odd shapes on \(BLAS.backendDescription): worst error / bound \(worst)")
    }

    @Test func describesBackend() {
        print("KERNEL-INFO BLAS backend: \(BLAS.backendDescription)")
        #expect(!BLAS.backendDescription.isEmpty)
    }

    /// Row-major sgemm with every transpose combination, padded leading dimensions, alpha and beta.
    @Test(arguments: [false, true], [false, true])
    func sgemmMatchesNaive(transA: Bool, transB: Bool) throws {
        let ta: BLAS.Transpose = transA ? .yes : .no, tb: BLAS.Transpose = transB ? .yes : .no
        let m = 5, n = 7, k = 9, pad = 3
        var rng = SplitMix64(seed: 3)
        let (ar, ac) = ta == .no ? (m, k) : (k, m)
        let (br, bc) = tb == .no ? (k, n) : (n, k)
        let lda = ac + pad, ldb = bc + pad, ldc = n + pad
        let a = (0..<(ar * lda)).map { _ in Float.random(in: -1...1, using: &rng) }
        let b = (0..<(br * ldb)).map { _ in Float.random(in: -1...1, using: &rng) }
        var c = (0..<(m * ldc)).map { _ in Float.random(in: -1...1, using: &rng) }
        let c0 = c
        let alpha: Float = 0.75, beta: Float = -0.5
        try a.withUnsafeBufferPointer { ap in
            try b.withUnsafeBufferPointer { bp in
                try c.withUnsafeMutableBufferPointer { cp in
                    BLAS.sgemm(ta, tb, m: m, n: n, k: k, alpha: alpha, a: try #require(ap.baseAddress), lda: lda,
                               b: try #require(bp.baseAddress), ldb: ldb, beta: beta, c: try #require(cp.baseAddress), ldc: ldc)
                }
            }
        }
        var maxErr: Float = 0
        for i in 0..<m {
            for j in 0..<n {
                var s: Double = 0
                for p in 0..<k {
                    let av = ta == .no ? a[i * lda + p] : a[p * lda + i]
                    let bv = tb == .no ? b[p * ldb + j] : b[j * ldb + p]
                    s += Double(av) * Double(bv)
                }
                let want = Float(Double(alpha) * s + Double(beta) * Double(c0[i * ldc + j]))
                maxErr = max(maxErr, abs(c[i * ldc + j] - want))
            }
            #expect(c[(i * ldc + n)..<(i * ldc + ldc)] == c0[(i * ldc + n)..<(i * ldc + ldc)], "padding touched")
        }
        #expect(maxErr <= 1e-5)
    }
}

@Suite struct ParallelTests {
    @Test(arguments: [0, 1, 7, 1000])
    func forEachVisitsEveryIndexOnce(count: Int) {
        let hits = UnsafeMutablePointer<Int>.allocate(capacity: max(count, 1))
        hits.initialize(repeating: 0, count: max(count, 1))
        defer { hits.deallocate() }
        var outOfRange = false
        Parallel.forEach(count) { i in
            if i < 0 || i >= count { outOfRange = true; return }
            hits[i] += 1  // each index is owned by exactly one chunk, so no two threads share a slot
        }
        #expect(!outOfRange)
        #expect((0..<count).allSatisfy { hits[$0] == 1 })
    }
}
