@testable import Kernels
import Testing

/// The `avx2` 8-bit-input product for 4-bit weights (`Int8InputProduct`) against a scalar
/// emulation of its documented arithmetic, written here from the formula: inputs quantized per
/// row and 32-column block to q = round-half-even(x · (127 / max|x|)) with scale max|x| / 127;
/// per block the exact integer sum Σ q·(u − z), then f = fma(float(sum), sx·sw, f). The results
/// must be bit-identical; they must also be within the inputs' rounding of x·W'ᵀ in Double.
/// Every test runs with `VLMEMBED_INT4_INPUTS=int8` forced (`Int4Inputs`).
@Suite struct Int8InputProductTests {
    typealias Coded = Int16ProductTests.CodedWeight

    /// The documented arithmetic, scalar.
    static func emulate(_ w: Coded, _ x: [Float], n: Int) -> [Float] {
        let columns = w.columns, block = 32, blocks = columns / block
        var q = [Int32](repeating: 0, count: n * columns), sx = [Float](repeating: 0, count: n * blocks)
        for i in 0..<n {
            for b in 0..<blocks {
                let range = (b * block)..<((b + 1) * block)
                let m = range.map { abs(x[i * columns + $0]) }.max() ?? 0
                guard m > 0 else { continue }
                sx[i * blocks + b] = m / 127
                let inv = 127 / m
                for k in range { q[i * columns + k] = Int32((x[i * columns + k] * inv).rounded(.toNearestOrEven)) }
            }
        }
        var y = [Float](repeating: 0, count: n * w.rows)
        for i in 0..<n {
            for r in 0..<w.rows {
                var f: Float = 0
                for b in 0..<blocks {
                    var sum: Int64 = 0
                    for k in (b * block)..<((b + 1) * block) { sum += Int64(q[i * columns + k]) * Int64(w.codes[r * columns + k]) }
                    f = f.addingProduct(Float(sum), sx[i * blocks + b] * w.scales[r * columns + b * block])
                }
                y[i * w.rows + r] = f
            }
        }
        return y
    }

    /// The product by `kernel` (default: the active path's variant).
    static func product(_ matrix: WeightMatrix, _ x: [Float], n: Int, kernel: IntegerProductKernel = .active) throws -> [Float] {
        let codes = try #require(Int4Inputs.$forced.withValue(.int8) { Int8InputProduct.codeRows(matrix) })
        var y = [Float](repeating: .nan, count: n * matrix.rows)
        try x.withUnsafeBufferPointer { xb in
            try y.withUnsafeMutableBufferPointer { yb in
                Int8InputProduct.apply(codes, try #require(xb.baseAddress), count: n, into: try #require(yb.baseAddress), ldy: matrix.rows, kernel: kernel)
            }
        }
        return y
    }

    static func cases(_ rng: inout SplitMix64) -> [(String, Coded)] {
        var out = [(String, Coded)]()
        for (rows, group, asym, columns) in [(21, 32, false, 320), (37, 64, true, 640), (16, 128, false, 1024), (5, 32, true, 32), (18, 256, false, 512)] {
            out.append(("int4 g\(group)\(asym ? " asym" : "") \(rows)×\(columns)",
                        Int16ProductTests.int4(rows: rows, columns: columns, group: group, asymmetric: asym, &rng)))
        }
        for columns in [32, 288, 1024] {
            out.append(("Q4_0 17×\(columns)", Int16ProductTests.ggml(q8: false, rows: 17, columns: columns, &rng)))
        }
        return out
    }

    @Test(.enabled(if: KernelISA.avx2.isSupported()), arguments: [1, 6, 7, 13])
    func bitIdenticalToTheEmulation(n: Int) throws {
        var rng = SplitMix64(seed: UInt64(900 + n))
        var keep = [AnyObject]()
        var checked = 0, worstRelative = 0.0
        for (name, w) in Self.cases(&rng) {
            let matrix = w.matrix(&keep)
            var x = (0..<(n * w.columns)).map { _ in Float.random(in: -3...3, using: &rng) * (Bool.random(using: &rng) ? 1 : 0.001) }
            for k in 0..<w.columns { x[k] = 0 }  // an all-zero input row: scale 0, output exactly 0
            if n > 1 { for k in 0..<w.columns { x[w.columns + k] = 127 * Float(k % 2 == 0 ? 1 : -1) } }  // every code ±127
            let got = try Self.product(matrix, x, n: n)
            let want = Self.emulate(w, x, n: n)
            let differ = zip(got, want).filter { $0.bitPattern != $1.bitPattern }.count
            #expect(differ == 0, "\(name) n=\(n): \(differ) of \(got.count) outputs differ from the emulation")
            #expect(got.prefix(w.rows).allSatisfy { $0 == 0 }, "\(name): zero input row")
            // And close to x·W'ᵀ in Double: each input moves by ≤ ½·max|x|/127 of its block.
            let values = w.values
            for i in 0..<n {
                let rowMax = Double(x[(i * w.columns)..<((i + 1) * w.columns)].map(abs).max() ?? 0)
                for r in 0..<w.rows {
                    var exact = 0.0, magnitude = 0.0
                    for k in 0..<w.columns {
                        let v = Double(values[r * w.columns + k])
                        exact += Double(x[i * w.columns + k]) * v
                        magnitude += abs(v) * rowMax
                    }
                    let rel = abs(Double(got[i * w.rows + r]) - exact) / max(magnitude, 1e-30)
                    worstRelative = max(worstRelative, rel)
                    checked += 1
                }
            }
        }
        #expect(worstRelative < 1.0 / 254, "worst |error| / (Σ|W'|·max|x|) = \(worstRelative)")
        print("INT8-INPUT-PRODUCT n=\(n): \(checked) outputs bit-identical to the emulation; worst error / (Σ|W'|·max|x|) = \(worstRelative)")
    }

    /// A NaN or infinity anywhere in an input row makes every output of that row NaN; the other
    /// rows of the tile are untouched.
    @Test(.enabled(if: KernelISA.avx2.isSupported()))
    func nonFiniteInputRowsStayNonFinite() throws {
        var rng = SplitMix64(seed: 78)
        var keep = [AnyObject]()
        let w = Int16ProductTests.int4(rows: 18, columns: 320, group: 32, asymmetric: false, &rng)
        let matrix = w.matrix(&keep)
        let n = 7
        let clean = (0..<(n * w.columns)).map { _ in Float.random(in: -2...2, using: &rng) }
        let want = try Self.product(matrix, clean, n: n)
        try expectNonFiniteRowsStayNonFinite(clean, n: n, columns: w.columns, outputs: w.rows, want: want,
                                             at: [(0, 0, Float.nan), (2, 13, .nan), (3, 319, .nan), (5, 40, .infinity), (6, 100, -.infinity)]) { try Self.product(matrix, $0, n: n) }
    }

    /// Only 4-bit codes in whole 32-column blocks, in stored order.
    @Test func takesOnlyWhole32ColumnBlocksOf4BitCodes() {
        Int4Inputs.$forced.withValue(.int8) { Self.checkTakesOnlyWhole32ColumnBlocks() }
    }

    static func checkTakesOnlyWhole32ColumnBlocks() {
        var rng = SplitMix64(seed: 4)
        var keep = [AnyObject]()
        #expect(Int8InputProduct.codeRows(Int16ProductTests.int4(rows: 2, columns: 300, group: 32, asymmetric: false, &rng).matrix(&keep)) == nil)
        #expect(Int8InputProduct.codeRows(Int16ProductTests.int4(rows: 2, columns: 320, group: 16, asymmetric: false, &rng).matrix(&keep)) == nil)
        #expect(Int8InputProduct.codeRows(Int16ProductTests.int8(rows: 2, columns: 64, &rng).matrix(&keep)) == nil)
        #expect(Int8InputProduct.codeRows(Int16ProductTests.ggml(q8: true, rows: 2, columns: 64, &rng).matrix(&keep)) == nil)
        let w = Int16ProductTests.int4(rows: 3, columns: 64, group: 32, asymmetric: true, &rng).matrix(&keep)
        #expect(Int8InputProduct.codeRows(w) != nil)
        #expect(Int8InputProduct.codeRows(w.reorderingRows([2, 0, 1])) == nil)
    }

    /// With `int8` inputs, `apply` takes this product for 4-bit weights on `avx2` (from 3 input rows) and, on
    /// `generic`, the exact-W' widening of the same 8-bit-rounded inputs; a view in another row
    /// order gives the same values; the two paths agree to a cosine ≥ 0.9999 (here far closer,
    /// where against unrounded inputs they would differ by the inputs' rounding).
    @Test(.enabled(if: KernelISA.avx2.isSupported()))
    func applyDispatchesOnTheActivePath() throws {
        var rng = SplitMix64(seed: 12)
        var keep = [AnyObject]()
        let w = Int16ProductTests.int4(rows: 40, columns: 512, group: 64, asymmetric: true, &rng)
        let matrix = w.matrix(&keep)
        let n = 9
        let x = (0..<(n * w.columns)).map { _ in Float.random(in: -1...1, using: &rng) }
        let rounded = try x.withUnsafeBufferPointer { Int8InputProduct.roundedInputs(try #require($0.baseAddress), count: n, columns: w.columns) }
        let agreement = try Int4Inputs.$forced.withValue(.int8) {
            try checkApplyDispatch(matrix, x, n: n, direct: try Self.product(matrix, x, n: n), genericInputs: rounded)
        }
        #expect(agreement >= 0.999999)
        print("INT8-INPUT-PRODUCT avx2 vs generic on int4 g64 asym 40×512, n=9: cosine \(agreement)")
    }

    /// `roundedInputs` is the kernel's input rounding: for every row and block, q·(m/127) with the
    /// emulation's q and m; zero blocks stay zero, blocks with a NaN or infinity become NaN.
    @Test func roundedInputsAreTheKernelsInputs() throws {
        var rng = SplitMix64(seed: 33)
        let n = 5, columns = 96
        var x = (0..<(n * columns)).map { _ in Float.random(in: -4...4, using: &rng) }
        for k in 32..<64 { x[k] = 0 }
        x[2 * columns + 70] = .infinity
        x[3 * columns + 5] = .nan
        let got = try x.withUnsafeBufferPointer { Int8InputProduct.roundedInputs(try #require($0.baseAddress), count: n, columns: columns) }
        for i in 0..<n {
            for b in 0..<3 {
                let range = (i * columns + 32 * b)..<(i * columns + 32 * b + 32)
                let block = x[range]
                if block.contains(where: { !$0.isFinite }) {
                    #expect(got[range].allSatisfy { $0.isNaN }, "row \(i) block \(b)")
                    continue
                }
                let m = block.map(abs).max() ?? 0
                for k in range {
                    let want: Float = m == 0 ? 0 : (x[k] * (127 / m)).rounded(.toNearestOrEven) * (m / 127)
                    #expect(got[k].bitPattern == want.bitPattern, "row \(i) column \(k - i * columns)")
                    #expect(abs(got[k] - x[k]) <= m / 254 * (1 + 1e-6))
                }
            }
        }
    }
}
