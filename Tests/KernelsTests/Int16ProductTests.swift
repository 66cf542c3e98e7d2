@testable import Kernels
import Testing

/// The `avx2` integer product (`Int16Product`) against a scalar emulation of its documented
/// arithmetic, written here from the formula: inputs quantized per row and 256-column block to
/// q = round-half-even(x · (32767 / max|x|)) with scale max|x| / 32767; per segment (≤ 256
/// columns, one weight group) the exact integer sum Σ q·code, then f = fma(float(sum), sx·sw, f).
/// The results must be bit-identical; they must also be close to x·W'ᵀ in Double.
@Suite struct Int16ProductTests {
    /// A weight built from explicit codes and scales, so the emulation never decodes storage.
    struct CodedWeight {
        let rows: Int, columns: Int
        let storage: WeightMatrix.Storage
        let bytes: [UInt8]
        let scaleBytes: [UInt8]
        let zeroBytes: [UInt8]
        /// Integer code per element (what is multiplied: q, nibble − 8 or nibble − zero).
        let codes: [Int32]
        /// Scale per element's group, as float32.
        let scales: [Float]
        let group: Int

        func matrix(_ keep: inout [AnyObject]) -> WeightMatrix {
            let base = ByteBox(bytes), s = ByteBox(scaleBytes), z = ByteBox(zeroBytes)
            keep += [base, s, z]
            return WeightMatrix(rows: rows, columns: columns, storage: storage, base: base.pointer,
                                scales: scaleBytes.isEmpty ? nil : s.pointer, zeros: zeroBytes.isEmpty ? nil : z.pointer, owner: base)
        }

        /// W' as the fp32 paths read it (code · scale in float32).
        var values: [Float] { zip(codes, scales).map { Float($0) * $1 } }
    }

    final class ByteBox {
        let pointer: UnsafeMutableRawPointer
        init(_ bytes: [UInt8]) {
            pointer = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 64)
            bytes.withUnsafeBytes { if let b = $0.baseAddress { pointer.copyMemory(from: b, byteCount: bytes.count) } }
        }
        deinit { pointer.deallocate() }
    }

    static func f16(_ rng: inout SplitMix64) -> (UInt16, Float) {
        let h = Float16(Float.random(in: 0.001...0.2, using: &rng)) * (Bool.random(using: &rng) ? 1 : -1)
        return (h.bitPattern, Float(h))
    }

    static func int8(rows: Int, columns: Int, _ rng: inout SplitMix64) -> CodedWeight {
        var bytes = [UInt8](), scaleBytes = [UInt8](), codes = [Int32](), scales = [Float]()
        for _ in 0..<rows {
            let s = Float.random(in: 0.0001...0.05, using: &rng)
            scaleBytes += withUnsafeBytes(of: s.bitPattern.littleEndian, Array.init)
            for _ in 0..<columns {
                let q = Int8.random(in: -127...127, using: &rng)
                bytes.append(UInt8(bitPattern: q)); codes.append(Int32(q)); scales.append(s)
            }
        }
        return CodedWeight(rows: rows, columns: columns, storage: .int8, bytes: bytes, scaleBytes: scaleBytes,
                           zeroBytes: [], codes: codes, scales: scales, group: columns)
    }

    static func int4(rows: Int, columns: Int, group: Int, asymmetric: Bool, _ rng: inout SplitMix64) -> CodedWeight {
        let groups = (columns + group - 1) / group, rowBytes = (columns + 1) / 2
        var bytes = [UInt8](repeating: 0, count: rows * rowBytes), scaleBytes = [UInt8](), zeroBytes = [UInt8]()
        var codes = [Int32](), scales = [Float]()
        for r in 0..<rows {
            var gs = [Float](), zs = [Int32]()
            for _ in 0..<groups {
                let (h, f) = f16(&rng)
                scaleBytes += [UInt8(h & 0xFF), UInt8(h >> 8)]
                gs.append(f)
                let z = asymmetric ? Int32.random(in: 0...15, using: &rng) : 8
                if asymmetric { zeroBytes.append(UInt8(z)) }
                zs.append(z)
            }
            for k in 0..<columns {
                let nibble = UInt8.random(in: 0...15, using: &rng)
                bytes[r * rowBytes + k / 2] |= k % 2 == 0 ? nibble : nibble << 4
                codes.append(Int32(nibble) - zs[k / group]); scales.append(gs[k / group])
            }
        }
        return CodedWeight(rows: rows, columns: columns, storage: .int4(group: group, asymmetric: asymmetric), bytes: bytes,
                           scaleBytes: scaleBytes, zeroBytes: zeroBytes, codes: codes, scales: scales, group: group)
    }

    /// ggml Q8_0 (every code byte, −128 included) or Q4_0 blocks with random codes.
    static func ggml(q8: Bool, rows: Int, columns: Int, _ rng: inout SplitMix64) -> CodedWeight {
        var bytes = [UInt8](), codes = [Int32](repeating: 0, count: rows * columns), scales = [Float](repeating: 0, count: rows * columns)
        for r in 0..<rows {
            for b in 0..<(columns / 32) {
                let (h, d) = f16(&rng)
                bytes += [UInt8(h & 0xFF), UInt8(h >> 8)]
                for j in 0..<32 { scales[r * columns + 32 * b + j] = d }
                if q8 {
                    for j in 0..<32 {
                        let byte = UInt8.random(in: 0...255, using: &rng)
                        bytes.append(byte); codes[r * columns + 32 * b + j] = Int32(Int8(bitPattern: byte))
                    }
                } else {
                    for j in 0..<16 {
                        let byte = UInt8.random(in: 0...255, using: &rng)
                        bytes.append(byte)
                        codes[r * columns + 32 * b + j] = Int32(byte & 0x0F) - 8
                        codes[r * columns + 32 * b + j + 16] = Int32(byte >> 4) - 8
                    }
                }
            }
        }
        return CodedWeight(rows: rows, columns: columns, storage: q8 ? .ggmlQ8_0 : .ggmlQ4_0, bytes: bytes, scaleBytes: [],
                           zeroBytes: [], codes: codes, scales: scales, group: 32)
    }

    /// The documented arithmetic, scalar.
    static func emulate(_ w: CodedWeight, _ x: [Float], n: Int) -> [Float] {
        let columns = w.columns, block = 256
        let segment = (w.group >= columns || w.group >= block) ? block : w.group
        var q = [Int32](repeating: 0, count: n * columns), sx = [Float](repeating: 0, count: n * ((columns + block - 1) / block))
        let blocks = (columns + block - 1) / block
        for i in 0..<n {
            for b in 0..<blocks {
                let range = (b * block)..<min(columns, (b + 1) * block)
                let m = range.map { abs(x[i * columns + $0]) }.max() ?? 0
                guard m > 0 else { continue }
                sx[i * blocks + b] = m / 32767
                let inv = 32767 / m
                for k in range { q[i * columns + k] = Int32((x[i * columns + k] * inv).rounded(.toNearestOrEven)) }
            }
        }
        var y = [Float](repeating: 0, count: n * w.rows)
        for i in 0..<n {
            for r in 0..<w.rows {
                var f: Float = 0
                for s0 in stride(from: 0, to: columns, by: segment) {
                    var sum: Int64 = 0
                    for k in s0..<min(columns, s0 + segment) { sum += Int64(q[i * columns + k]) * Int64(w.codes[r * columns + k]) }
                    precondition(sum.magnitude < 1 << 31, "segment sum overflows int32")
                    let s = sx[i * blocks + s0 / block] * w.scales[r * columns + s0]
                    f = f.addingProduct(Float(Int32(sum)), s)
                }
                y[i * w.rows + r] = f
            }
        }
        return y
    }

    /// The product by `kernel` (default: the active path's variant).
    static func product(_ matrix: WeightMatrix, _ x: [Float], n: Int, kernel: IntegerProductKernel = .active) throws -> [Float] {
        let codes = try #require(Int16Product.codeRows(matrix))
        var y = [Float](repeating: .nan, count: n * matrix.rows)
        try x.withUnsafeBufferPointer { xb in
            try y.withUnsafeMutableBufferPointer { yb in
                Int16Product.apply(codes, try #require(xb.baseAddress), count: n, into: try #require(yb.baseAddress), ldy: matrix.rows, kernel: kernel)
            }
        }
        return y
    }

    /// `WeightMatrix.apply` with `isa` forced for this task.
    static func apply(_ matrix: WeightMatrix, _ x: [Float], n: Int, on isa: KernelISA) throws -> [Float] {
        var y = [Float](repeating: .nan, count: n * matrix.rows)
        try x.withUnsafeBufferPointer { xb in
            try y.withUnsafeMutableBufferPointer { yb in
                let xp = try #require(xb.baseAddress), yp = try #require(yb.baseAddress)
                KernelISA.$forced.withValue(isa) { matrix.apply(xp, count: n, into: yp) }
            }
        }
        return y
    }

    static func cases(_ rng: inout SplitMix64) -> [(String, CodedWeight)] {
        var out = [(String, CodedWeight)]()
        for (rows, columns) in [(1, 2), (16, 31), (37, 256), (5, 300), (18, 600), (3, 1024)] {
            out.append(("int8 \(rows)×\(columns)", int8(rows: rows, columns: columns, &rng)))
        }
        for (group, asym, columns) in [(32, false, 320), (64, true, 600), (128, false, 1024), (512, true, 1024), (40, false, 40), (2, true, 10)] {
            out.append(("int4 g\(group)\(asym ? " asym" : "") 21×\(columns)", int4(rows: 21, columns: columns, group: group, asymmetric: asym, &rng)))
        }
        for q8 in [true, false] {
            for columns in [32, 288, 1024] {
                out.append(("\(q8 ? "Q8_0" : "Q4_0") 17×\(columns)", ggml(q8: q8, rows: 17, columns: columns, &rng)))
            }
        }
        return out
    }

    @Test(.enabled(if: KernelISA.avx2.isSupported()), arguments: [3, 6, 7, 13])
    func bitIdenticalToTheEmulation(n: Int) throws {
        var rng = SplitMix64(seed: UInt64(500 + n))
        var keep = [AnyObject]()
        var checked = 0, worstRelative = 0.0
        for (name, w) in Self.cases(&rng) {
            let matrix = w.matrix(&keep)
            var x = (0..<(n * w.columns)).map { _ in Float.random(in: -3...3, using: &rng) * (Bool.random(using: &rng) ? 1 : 0.001) }
            for k in 0..<w.columns { x[k] = 0 }  // an all-zero input row: scale 0, output exactly 0
            let got = try Self.product(matrix, x, n: n)
            let want = Self.emulate(w, x, n: n)
            let differ = zip(got, want).filter { $0.bitPattern != $1.bitPattern }.count
            #expect(differ == 0, "\(name) n=\(n): \(differ) of \(got.count) outputs differ from the emulation")
            #expect(got.prefix(w.rows).allSatisfy { $0 == 0 }, "\(name): zero input row")
            // And close to x·W'ᵀ in Double: the inputs' rounding is ≤ 2⁻¹⁶ of a block maximum.
            let values = w.values
            for i in 0..<n {
                for r in 0..<w.rows {
                    var exact = 0.0, magnitude = 0.0
                    for k in 0..<w.columns {
                        let p = Double(x[i * w.columns + k]) * Double(values[r * w.columns + k])
                        exact += p; magnitude += abs(Double(values[r * w.columns + k])) * 3
                    }
                    let rel = abs(Double(got[i * w.rows + r]) - exact) / max(magnitude, 1e-30)
                    worstRelative = max(worstRelative, rel)
                    checked += 1
                }
            }
        }
        #expect(worstRelative < 0x1p-15, "worst |error| / (Σ|W'|·max|x|) = \(worstRelative)")
        print("INT16-PRODUCT n=\(n): \(checked) outputs bit-identical to the emulation; worst error / (Σ|W'|·max|x|) = \(worstRelative)")
    }

    /// A NaN or infinity anywhere in an input row (first lane, mid-vector, scalar tail, second
    /// block) makes every output of that row NaN, as the fp32 product would be non-finite; the
    /// other rows of the same tile are untouched.
    @Test(.enabled(if: KernelISA.avx2.isSupported()))
    func nonFiniteInputRowsStayNonFinite() throws {
        var rng = SplitMix64(seed: 77)
        var keep = [AnyObject]()
        let w = Self.int8(rows: 18, columns: 300, &rng)
        let matrix = w.matrix(&keep)
        let n = 7
        let clean = (0..<(n * w.columns)).map { _ in Float.random(in: -2...2, using: &rng) }
        let want = try Self.product(matrix, clean, n: n)
        try expectNonFiniteRowsStayNonFinite(clean, n: n, columns: w.columns, outputs: w.rows, want: want,
                                             at: [(0, 0, Float.nan), (2, 13, .nan), (3, 297, .nan), (5, 260, .infinity), (6, 100, -.infinity)]) { try Self.product(matrix, $0, n: n) }
    }

    /// Groups that straddle an activation block, odd groups and row-order views are not taken.
    @Test func refusesLayoutsItCannotSegment() {
        var rng = SplitMix64(seed: 3)
        var keep = [AnyObject]()
        #expect(Int16Product.codeRows(Self.int4(rows: 2, columns: 300, group: 96, asymmetric: false, &rng).matrix(&keep)) == nil)
        #expect(Int16Product.codeRows(Self.int4(rows: 2, columns: 300, group: 7, asymmetric: false, &rng).matrix(&keep)) == nil)
        #expect(Int16Product.codeRows(Self.int4(rows: 2, columns: 1024, group: 384, asymmetric: false, &rng).matrix(&keep)) == nil)
        let w = Self.int8(rows: 3, columns: 64, &rng).matrix(&keep)
        #expect(Int16Product.codeRows(w) != nil)
        #expect(Int16Product.codeRows(w.reorderingRows([2, 0, 1])) == nil)
    }

    /// With int16 inputs (the default), `apply` takes the int16 product on `avx2` (from 3 input
    /// rows) and the exact-W' widening on `generic`; a view in another row order gives the same
    /// values; both paths agree to a cosine ≥ 0.9999 (here far closer).
    @Test(.enabled(if: KernelISA.avx2.isSupported()))
    func applyDispatchesOnTheActivePath() throws {
        var rng = SplitMix64(seed: 11)
        var keep = [AnyObject]()
        let w = Self.int4(rows: 40, columns: 512, group: 64, asymmetric: true, &rng)
        let matrix = w.matrix(&keep)
        let n = 9
        let x = (0..<(n * w.columns)).map { _ in Float.random(in: -1...1, using: &rng) }
        let agreement = try Int4Inputs.$forced.withValue(.int16) {
            try checkApplyDispatch(matrix, x, n: n, direct: try Self.product(matrix, x, n: n), genericInputs: x)
        }
        #expect(agreement >= 0.9999)
        print("INT16-PRODUCT avx2 vs generic on int4 g64 asym 40×512, n=9: cosine \(agreement)")
    }
}
