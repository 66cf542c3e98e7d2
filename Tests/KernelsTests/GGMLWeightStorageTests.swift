import Kernels
import TensorFormats
import Testing

/// ggml Q8_0 / Q4_0 blocks and any row-decoded layout used in place by `WeightMatrix`: widened
/// rows equal llama.cpp's dequantization (gguf-py-verified `GGMLDequantizer`) bit for bit; `apply`
/// (direct kernel below 3 input rows, widening + sgemm above) equals the fp32 product of those
/// values; a row-order view gathers rows and scatters outputs for every storage.
@Suite struct GGMLWeightStorageTests {
    /// Deterministic weights with a few large and tiny magnitudes per row.
    static func values(rows: Int, columns: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<(rows * columns)).map { i in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let u = Float(state >> 40) / Float(1 << 24) - 0.5
            return i % 97 == 0 ? u * 40 : (i % 89 == 0 ? u * 1e-6 : u)
        }
    }

    /// Encoded bytes kept alive for a weight view.
    final class Owner: @unchecked Sendable {
        let bytes: [UInt8]
        init(_ bytes: [UInt8]) { self.bytes = bytes }
    }

    static func matrix(_ bytes: [UInt8], rows: Int, columns: Int, storage: WeightMatrix.Storage) -> WeightMatrix {
        let owner = Owner(bytes)
        return owner.bytes.withUnsafeBytes { WeightMatrix(rows: rows, columns: columns, storage: storage, base: $0.baseAddress!, owner: owner) }
    }

    static func reference(_ w: [Float], rows: Int, columns: Int, x: [Float], n: Int) -> [Float] {
        var y = [Float](repeating: 0, count: n * rows)
        for t in 0..<n { for r in 0..<rows {
            var s: Double = 0
            for j in 0..<columns { s += Double(x[t * columns + j]) * Double(w[r * columns + j]) }
            y[t * rows + r] = Float(s)
        } }
        return y
    }

    static func expectClose(_ a: [Float], _ b: [Float], _ what: String) {
        let scale = b.map { abs($0) }.max() ?? 1
        let err = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        #expect(a.count == b.count && err <= 2e-5 * max(scale, 1), "\(what): max error \(err) (scale \(scale))")
    }

    @Test(arguments: [("Q8_0", 7, 96), ("Q8_0", 33, 320), ("Q4_0", 7, 96), ("Q4_0", 33, 320)])
    func blocksWidenExactlyAndMultiply(type: String, rows: Int, columns: Int) throws {
        let w = Self.values(rows: rows, columns: columns, seed: UInt64(rows * columns))
        let isQ8 = type == "Q8_0"
        let bytes = isQ8 ? GGMLQuantizer.quantizeQ8_0(w) : GGMLQuantizer.quantizeQ4_0(w)
        let dequantized = try bytes.withUnsafeBytes { try GGMLDequantizer.dequantize($0, type: isQ8 ? .q8_0 : .q4_0, count: rows * columns) }
        let m = Self.matrix(bytes, rows: rows, columns: columns, storage: isQ8 ? .ggmlQ8_0 : .ggmlQ4_0)
        #expect(m.floats().map(\.bitPattern) == dequantized.map(\.bitPattern), "\(type): widened rows differ from ggml's dequantization")
        for n in [1, 2, 3, 7] {
            let x = Self.values(rows: n, columns: columns, seed: 99 + UInt64(n))
            var y = [Float](repeating: .nan, count: n * rows)
            x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { m.apply(xp.baseAddress!, count: n, into: $0.baseAddress!) } }
            Self.expectClose(y, Self.reference(dequantized, rows: rows, columns: columns, x: x, n: n), "\(type) \(rows)×\(columns) n=\(n)")
        }
    }

    @Test func rowDecodedStorageUsesTheDecoder() throws {
        // Q4_1 blocks (20 bytes: f16 d, f16 m, 16 nibble bytes) decoded by the GGUF dequantizer.
        let rows = 5, columns = 64, blockBytes = 20
        var bytes: [UInt8] = []
        for b in 0..<(rows * columns / 32) {
            bytes += [0x00, 0x2C, 0x00, UInt8(0xA8 + b % 3)]  // d = 0.0625, m = −(small)
            bytes += (0..<16).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ b &* 11) }
        }
        let perRow = columns / 32 * blockBytes
        let decoder = RowDecoder(name: "Q4_1", bytesPerRow: perRow) { row, out in
            try? GGMLDequantizer.dequantize(UnsafeRawBufferPointer(start: row, count: perRow), type: .q4_1,
                                            into: UnsafeMutableBufferPointer(start: out, count: columns))
        }
        let m = Self.matrix(bytes, rows: rows, columns: columns, storage: .rowDecoded(decoder))
        let dequantized = try bytes.withUnsafeBytes { try GGMLDequantizer.dequantize($0, type: .q4_1, count: rows * columns) }
        #expect(m.floats().map(\.bitPattern) == dequantized.map(\.bitPattern))
        let x = Self.values(rows: 4, columns: columns, seed: 5)
        var y = [Float](repeating: .nan, count: 4 * rows)
        x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { m.apply(xp.baseAddress!, count: 4, into: $0.baseAddress!) } }
        Self.expectClose(y, Self.reference(dequantized, rows: rows, columns: columns, x: x, n: 4), "Q4_1 rows")
    }

    @Test(arguments: ["f16", "Q8_0", "int8"])
    func rowOrderViewGathersRowsAndScattersOutputs(storage: String) throws {
        let rows = 8, columns = 64
        let w = Self.values(rows: rows, columns: columns, seed: 3)
        let plain: WeightMatrix
        switch storage {
        case "f16":
            plain = Self.matrix(w.flatMap { withUnsafeBytes(of: HalfPrecision.fromFloat($0).littleEndian, Array.init) }, rows: rows, columns: columns, storage: .f16)
        case "Q8_0":
            plain = Self.matrix(GGMLQuantizer.quantizeQ8_0(w), rows: rows, columns: columns, storage: .ggmlQ8_0)
        default:
            plain = WeightMatrix(rows: rows, columns: columns, values: w)
        }
        let order = [1, 3, 5, 7, 0, 2, 4, 6]
        let view = plain.reorderingRows(order)
        let stored = plain.floats()
        let expected = order.flatMap { Array(stored[($0 * columns)..<(($0 + 1) * columns)]) }
        #expect(view.floats() == expected)
        let bias = (0..<rows).map { Float($0) / 8 }
        for n in [1, 5] {
            let x = Self.values(rows: n, columns: columns, seed: 11)
            var y = [Float](repeating: .nan, count: n * rows)
            x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { view.apply(xp.baseAddress!, count: n, into: $0.baseAddress!, bias: bias) } }
            var ref = Self.reference(expected, rows: rows, columns: columns, x: x, n: n)
            for t in 0..<n { for r in 0..<rows { ref[t * rows + r] += bias[r] } }
            Self.expectClose(y, ref, "\(storage) reordered n=\(n)")
        }
        // Composing two views is one view.
        #expect(view.reorderingRows(Array((0..<rows).reversed())).floats() == Array(order.reversed()).flatMap { Array(stored[($0 * columns)..<(($0 + 1) * columns)]) })
    }
}
