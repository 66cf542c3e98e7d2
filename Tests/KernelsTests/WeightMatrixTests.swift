import Kernels
import Testing

/// `WeightMatrix.apply` (y = x·Wᵀ + b) over bf16, f16 and f32 storage against `F.linear`.
@Suite struct WeightMatrixTests {
    static let storages: [(String, WeightMatrix.Storage)] = [("bf16", .bf16), ("f16", .f16), ("f32", .f32)]

    /// Copies `bytes` into a fresh 64-byte aligned buffer at byte offset `offset` and wraps it.
    final class Bytes: @unchecked Sendable {
        let raw: UnsafeMutableRawPointer
        let base: UnsafeRawPointer
        init(_ bytes: UnsafeRawBufferPointer, offset: Int) {
            raw = .allocate(byteCount: bytes.count + offset, alignment: 64)
            if let b = bytes.baseAddress { (raw + offset).copyMemory(from: b, byteCount: bytes.count) }
            base = UnsafeRawPointer(raw + offset)
        }
        deinit { raw.deallocate() }
    }

    /// The fixture's weight as a `WeightMatrix` over the same bytes, placed at `offset`.
    static func weight(_ fx: KernelFixture, _ name: String, _ storage: WeightMatrix.Storage, offset: Int) throws -> WeightMatrix {
        let td = try fx.file.tensorData(named: "w_\(name)")
        let shape = td.descriptor.shape
        try #require(shape.count == 2)
        let bytes = Bytes(td.bytes, offset: offset)
        return WeightMatrix(rows: shape[0], columns: shape[1], storage: storage, base: bytes.base, owner: bytes)
    }

    /// Runs `apply` into a buffer of `n × ldy` pre-filled with a sentinel; returns the rows and
    /// whether the padding columns kept the sentinel.
    static func run(_ w: WeightMatrix, _ x: [Float], n: Int, ldy: Int?, bias: [Float]?) throws -> ([Float], paddingIntact: Bool) {
        let ld = ldy ?? w.rows
        let sentinel: Float = -12345.5
        var y = [Float](repeating: sentinel, count: n * ld)
        try x.withUnsafeBufferPointer { xb in
            try y.withUnsafeMutableBufferPointer { yb in
                w.apply(try #require(xb.baseAddress), count: n, into: try #require(yb.baseAddress), ldy: ldy, bias: bias)
            }
        }
        var rows: [Float] = [], intact = true
        for i in 0..<n {
            rows += y[(i * ld)..<(i * ld + w.rows)]
            intact = intact && y[(i * ld + w.rows)..<((i + 1) * ld)].allSatisfy { $0 == sentinel }
        }
        return (rows, intact)
    }

    @Test(arguments: [0, 1, 2])
    func applyMatchesLinear(offset: Int) throws {
        let fx = try KernelFixture("linear.safetensors")
        let x = try fx.floats("x"), bias = try fx.floats("bias")
        for (name, storage) in Self.storages {
            // 16-bit weights at an odd address and f32 weights at offset 2 exercise unaligned loads
            // and the widening path for misaligned f32.
            if offset == 1 && storage == .f32 { continue }
            let w = try Self.weight(fx, name, storage, offset: offset)
            let n = x.count / w.columns
            let cases: [(String, Int, Int?, [Float]?, String)] = [
                ("no bias", n, nil, nil, "y_\(name)"),
                ("bias", n, nil, bias, "yb_\(name)"),
                ("bias ldy+7", n, w.rows + 7, bias, "yb_\(name)"),
                ("n=1 bias", 1, nil, bias, "y1_\(name)"),
                ("n=1 bias ldy+3", 1, w.rows + 3, bias, "y1_\(name)"),
            ]
            for (label, count, ldy, b, ref) in cases {
                let (y, intact) = try Self.run(w, Array(x.prefix(count * w.columns)), n: count, ldy: ldy, bias: b)
                let d = Deviation(y, try fx.floats(ref))
                report("WeightMatrix \(name) off\(offset) \(label)", d)
                #expect(d.maxAbs <= d.budget, "\(name) \(label)")
                #expect(intact, "\(name) \(label): wrote outside the first `rows` columns of a row")
            }
        }
    }

    @Test func floatsWidenExactly() throws {
        let fx = try KernelFixture("linear.safetensors")
        for (name, storage) in Self.storages {
            let w = try Self.weight(fx, name, storage, offset: 1)
            #expect(w.floats() == (try fx.floats("w_\(name)")), "\(name)")
        }
    }

    @Test func halfPrecisionDecodesEveryBitPattern() {
        var mismatches = 0
        for bits in 0...UInt16.max {
            let got = HalfPrecision.toFloat(bits), want = Float(Float16(bitPattern: bits))
            if want.isNaN ? !got.isNaN : got.bitPattern != want.bitPattern { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }

    /// More than 2²⁰ 16-bit elements, so `apply` widens in two tiles (1024 rows, then 6).
    @Test(arguments: [WeightMatrix.Storage.bf16, .f16])
    func multiTileApplyMatchesDoubleReference(_ storage: WeightMatrix.Storage) throws {
        let rows = 1030, cols = 1024, n = 3
        var rng = SplitMix64(seed: storage == .bf16 ? 11 : 12)
        let bits: [UInt16] = (0..<(rows * cols)).map { _ in
            let v = Float.random(in: -0.5...0.5, using: &rng)
            return storage == .bf16 ? UInt16(v.bitPattern >> 16) : Float16(v).bitPattern
        }
        let x = (0..<(n * cols)).map { _ in Float.random(in: -1...1, using: &rng) }
        let bias = (0..<rows).map { _ in Float.random(in: -1...1, using: &rng) }
        let wide = bits.map { storage == .bf16 ? Float(bitPattern: UInt32($0) << 16) : Float(Float16(bitPattern: $0)) }
        var ref = [Float](repeating: 0, count: n * rows)
        for i in 0..<n {
            for r in 0..<rows {
                var s = Double(bias[r])
                for c in 0..<cols { s += Double(x[i * cols + c]) * Double(wide[r * cols + c]) }
                ref[i * rows + r] = Float(s)
            }
        }
        let y = try bits.withUnsafeBytes { raw in
            let w = WeightMatrix(rows: rows, columns: cols, storage: storage, base: try #require(raw.baseAddress), owner: nil)
            return try Self.run(w, x, n: n, ldy: rows + 1, bias: bias)
        }
        let d = Deviation(y.0, ref)
        report("WeightMatrix \(storage) 1030x1024 two tiles", d)
        #expect(d.maxAbs <= d.budget)
        #expect(y.paddingIntact)
    }
}
