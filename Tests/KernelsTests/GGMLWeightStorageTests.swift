@testable import Kernels
import TensorFormats
import Testing

/// `WeightMatrix` over llama.cpp block storage (Q8_0, Q4_0 in place; Q4_K through a
/// `RowDecoder`) and row-order views. References: TensorFormats' `GGMLDequantizer` (bit-exact
/// with gguf-py) for the values, y = x·Wᵀ + b in Double from those values for products.
///
/// Product tolerance, as in `QuantizedApplyTests`: any fp32 evaluation of a k-term dot product
/// plus a bias is within γ(k+1)·(Σ|xⱼ·wⱼ| + |b|) of the exact value, γ(m) = m·u/(1 − m·u),
/// u = 2⁻²⁴ (Higham, §3.1); one wrongly decoded code exceeds it by orders of magnitude.
@Suite(.serialized) struct GGMLWeightStorageTests {
    /// Owned block bytes at byte `offset` of a 64-byte aligned allocation (odd offsets exercise
    /// unaligned loads).
    final class Blocks: @unchecked Sendable {
        let raw: UnsafeMutableRawPointer
        let base: UnsafeRawPointer
        let bytes: [UInt8]
        init(_ bytes: [UInt8], offset: Int) {
            let start = UnsafeMutableRawPointer.allocate(byteCount: bytes.count + offset + 1, alignment: 64)
            bytes.withUnsafeBytes { if let b = $0.baseAddress { (start + offset).copyMemory(from: b, byteCount: bytes.count) } }
            self.bytes = bytes
            raw = start
            base = UnsafeRawPointer(start + offset)
        }
        deinit { raw.deallocate() }
    }

    enum Source: String, CaseIterable { case quantizer, randomBlocks }

    static let shapes: [(rows: Int, columns: Int)] = [(1, 32), (3, 64), (7, 96), (16, 256), (5, 1024), (33, 160)]

    /// A float16 bit pattern of a finite value: magnitudes from 2⁻¹⁴·2⁻¹⁰ (subnormal) to 2,
    /// either sign, or exactly ±0.
    static func randomScale(_ rng: inout SplitMix64) -> UInt16 {
        let sign: UInt16 = Bool.random(using: &rng) ? 0x8000 : 0
        switch Int.random(in: 0..<10, using: &rng) {
        case 0: return sign | UInt16.random(in: 0...0x3FF, using: &rng)          // zero or subnormal
        default: return sign | UInt16.random(in: 0x0400...0x4000, using: &rng)  // normal, ≤ 2
        }
    }

    /// `rows × columns` values of `type` as blocks: from `GGMLQuantizer` on random weights, or
    /// random code bytes with random finite scales (every code value, including Q8_0's −128).
    static func blockBytes(_ type: GGMLType, rows: Int, columns: Int, _ source: Source, _ rng: inout SplitMix64) -> [UInt8] {
        let count = rows * columns
        switch source {
        case .quantizer:
            let w = (0..<count).map { _ in Float.random(in: -1.5...1.5, using: &rng) }
            return type == .q8_0 ? GGMLQuantizer.quantizeQ8_0(w) : GGMLQuantizer.quantizeQ4_0(w)
        case .randomBlocks:
            var bytes = (0..<(count / type.blockSize * type.typeSize)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            for b in stride(from: 0, to: bytes.count, by: type.typeSize) {
                // The scale fields: d for Q8_0/Q4_0, d and dmin for Q4_K.
                for field in 0..<(type == .q4_K ? 2 : 1) {
                    let s = randomScale(&rng)
                    bytes[b + 2 * field] = UInt8(s & 0xFF)
                    bytes[b + 2 * field + 1] = UInt8(s >> 8)
                }
            }
            return bytes
        }
    }

    static func dequantized(_ bytes: [UInt8], _ type: GGMLType, count: Int) throws -> [Float] {
        try bytes.withUnsafeBytes { try GGMLDequantizer.dequantize($0, type: type, count: count) }
    }

    static func storage(_ type: GGMLType) -> WeightMatrix.Storage { type == .q8_0 ? .ggmlQ8_0 : .ggmlQ4_0 }

    static func matrix(_ bytes: [UInt8], _ type: GGMLType, rows: Int, columns: Int, offset: Int) -> WeightMatrix {
        let blocks = Blocks(bytes, offset: offset)
        return WeightMatrix(rows: rows, columns: columns, storage: storage(type), base: blocks.base, owner: blocks)
    }

    /// A Q4_K decoder made from `GGMLDequantizer`, as ModelGraph builds them.
    static func q4KDecoder(columns: Int) -> RowDecoder {
        let bytesPerRow = columns / GGMLType.q4_K.blockSize * GGMLType.q4_K.typeSize
        return RowDecoder(name: "Q4_K", bytesPerRow: bytesPerRow) { row, out in
            try? GGMLDequantizer.dequantize(UnsafeRawBufferPointer(start: row, count: bytesPerRow), type: .q4_K,
                                            into: UnsafeMutableBufferPointer(start: out, count: columns))
        }
    }

    static func bitsDiffer(_ a: [Float], _ b: [Float]) -> Int {
        precondition(a.count == b.count, "bitsDiffer: \(a.count) vs \(b.count) values")
        return zip(a, b).filter { $0.bitPattern != $1.bitPattern }.count
    }

    typealias Path = WeightApplyPath

    static func run(_ w: WeightMatrix, _ x: [Float], n: Int, ldy: Int, bias: [Float]?, _ path: Path) throws -> [Float] {
        try runWeightApply(w, x, n: n, ldy: ldy, bias: bias, path)
    }

    static func failures(_ y: [Float], x: [Float], values: [Float], bias: [Float]?, rows: Int, columns: Int, n: Int, ldy: Int) -> (Int, Double) {
        let r = summationBoundFailures(y, x: x, values: values, bias: bias, rows: rows, columns: columns, n: n, ldy: ldy)
        return (r.failures, r.worst)
    }

    // MARK: Q8_0 / Q4_0

    @Test func widenMatchesDequantizerBitForBit() throws {
        var rng = SplitMix64(seed: 2024)
        for type in [GGMLType.q8_0, .q4_0] {
            for source in Source.allCases {
                for (rows, columns) in Self.shapes {
                    let bytes = Self.blockBytes(type, rows: rows, columns: columns, source, &rng)
                    let want = try Self.dequantized(bytes, type, count: rows * columns)
                    for offset in [0, 1] {
                        let w = Self.matrix(bytes, type, rows: rows, columns: columns, offset: offset)
                        let label = "\(type.name) \(source.rawValue) \(rows)×\(columns) offset \(offset)"
                        #expect(Self.bitsDiffer(w.floats(), want) == 0, "\(label)")
                        // A sub-range of rows reads the same values.
                        let lo = rows / 3, hi = max(lo + 1, rows - rows / 4)
                        var part = [Float](repeating: .nan, count: (hi - lo) * columns)
                        try part.withUnsafeMutableBufferPointer { w.widenRows(lo..<hi, into: try #require($0.baseAddress)) }
                        #expect(Self.bitsDiffer(part, Array(want[(lo * columns)..<(hi * columns)])) == 0, "\(label) rows \(lo)..<\(hi)")
                    }
                }
            }
        }
    }

    @Test(arguments: [1, 2])
    func applyMatchesDoubleReference(threads: Int) throws {
        let saved = Parallel.threadCount
        Parallel.setThreadCount(threads)
        defer { Parallel.setThreadCount(saved) }
        var rng = SplitMix64(seed: UInt64(300 + threads))
        var worstRatio = 0.0, worstDirectGap = 0.0, checked = 0
        for type in [GGMLType.q8_0, .q4_0] {
            for source in Source.allCases {
                for (rows, columns) in Self.shapes {
                    let bytes = Self.blockBytes(type, rows: rows, columns: columns, source, &rng)
                    let values = try Self.dequantized(bytes, type, count: rows * columns)
                    let w = Self.matrix(bytes, type, rows: rows, columns: columns, offset: 1)
                    let bias = (0..<rows).map { _ in Float.random(in: -1...1, using: &rng) }
                    for n in [1, 2, 3, 7] {
                        let x = (0..<(n * columns)).map { _ in Float.random(in: -2...2, using: &rng) }
                        let ldy = rows + 3
                        var outputs: [Path: [Float]] = [:]
                        for path in Path.allCases {
                            let y = try Self.run(w, x, n: n, ldy: ldy, bias: bias, path)
                            outputs[path] = y
                            let inputs = try weightApplyInputs(w, x, n: n, path)
                            let (bad, worst) = Self.failures(y, x: inputs, values: values, bias: bias, rows: rows, columns: columns, n: n, ldy: ldy)
                            #expect(bad == 0, "\(type.name) \(source.rawValue) \(rows)×\(columns) n=\(n) \(path.rawValue) threads=\(threads)")
                            worstRatio = max(worstRatio, worst)
                            checked += n * rows
                        }
                        // The direct kernel and widening + sgemm agree up to summation order:
                        // within 1e-5 of the dot product's magnitude Σ|x·w| (+ |b|).
                        let direct = try #require(outputs[.direct]), widened = try #require(outputs[.widened])
                        for i in 0..<n {
                            for r in 0..<rows {
                                var magnitude = Double(abs(bias[r]))
                                for j in 0..<columns { magnitude += abs(Double(x[i * columns + j]) * Double(values[r * columns + j])) }
                                let gap = abs(Double(direct[i * ldy + r]) - Double(widened[i * ldy + r]))
                                #expect(gap <= 1e-5 * magnitude + 0x1p-149, "\(type.name) \(rows)×\(columns) n=\(n) row \(r): direct vs widened")
                                if magnitude > 0 { worstDirectGap = max(worstDirectGap, gap / magnitude) }
                            }
                        }
                    }
                }
            }
        }
        print("GGML-APPLY threads=\(threads): \(checked) outputs, worst error / bound = \(worstRatio), worst |direct − widened| / Σ|x·w| = \(worstDirectGap)")
    }

    /// A weight larger than one widening tile (2²⁰ values): two tiles, n = 5.
    @Test func multiTileWideningMatchesDoubleReference() throws {
        let rows = 1030, columns = 1024, n = 5
        var rng = SplitMix64(seed: 55)
        for type in [GGMLType.q8_0, .q4_0] {
            let bytes = Self.blockBytes(type, rows: rows, columns: columns, .quantizer, &rng)
            let values = try Self.dequantized(bytes, type, count: rows * columns)
            let w = Self.matrix(bytes, type, rows: rows, columns: columns, offset: 0)
            let x = (0..<(n * columns)).map { _ in Float.random(in: -1...1, using: &rng) }
            let y = try Self.run(w, x, n: n, ldy: rows, bias: nil, .apply)
            let (bad, worst) = Self.failures(y, x: try weightApplyInputs(w, x, n: n, .apply), values: values, bias: nil, rows: rows, columns: columns, n: n, ldy: rows)
            #expect(bad == 0, "\(type.name) \(rows)×\(columns): worst error / bound \(worst)")
        }
    }

    @Test func storageFlags() {
        let decoder = Self.q4KDecoder(columns: 256)
        #expect(!WeightMatrix.Storage.ggmlQ8_0.isQuantized && !WeightMatrix.Storage.ggmlQ4_0.isQuantized)
        #expect(!WeightMatrix.Storage.rowDecoded(decoder).isQuantized)
        #expect(WeightMatrix.Storage.rowDecoded(decoder) == .rowDecoded(decoder))
        #expect(WeightMatrix.Storage.rowDecoded(decoder) != .rowDecoded(Self.q4KDecoder(columns: 256)))
        let bytes = [UInt8](repeating: 0, count: 34)
        let w = Self.matrix(bytes, .q8_0, rows: 1, columns: 32, offset: 0)
        #expect(QuantizedRows(w) == nil && w.scales == nil && w.zeros == nil)
    }

    // MARK: Row decoder

    @Test(arguments: [1, 2])
    func rowDecodedQ4KMatchesDequantizer(threads: Int) throws {
        let saved = Parallel.threadCount
        Parallel.setThreadCount(threads)
        defer { Parallel.setThreadCount(saved) }
        var rng = SplitMix64(seed: UInt64(400 + threads))
        for (rows, columns) in [(1, 256), (5, 512), (17, 768)] {
            let bytes = Self.blockBytes(.q4_K, rows: rows, columns: columns, .randomBlocks, &rng)
            let values = try Self.dequantized(bytes, .q4_K, count: rows * columns)
            let blocks = Blocks(bytes, offset: 1)
            let w = WeightMatrix(rows: rows, columns: columns, storage: .rowDecoded(Self.q4KDecoder(columns: columns)),
                                 base: blocks.base, owner: blocks)
            #expect(Self.bitsDiffer(w.floats(), values) == 0, "Q4_K \(rows)×\(columns) widen")
            let bias = (0..<rows).map { _ in Float.random(in: -1...1, using: &rng) }
            for n in [1, 2, 3, 7] {
                let x = (0..<(n * columns)).map { _ in Float.random(in: -2...2, using: &rng) }
                let y = try Self.run(w, x, n: n, ldy: rows + 2, bias: bias, .apply)
                let (bad, worst) = Self.failures(y, x: x, values: values, bias: bias, rows: rows, columns: columns, n: n, ldy: rows + 2)
                #expect(bad == 0, "Q4_K \(rows)×\(columns) n=\(n): worst error / bound \(worst)")
            }
        }
    }

    // MARK: Row order

    /// f16, Q8_0 and int8 storage as reordered views, with their values in stored order.
    static func reorderCases(rows: Int, columns: Int, _ rng: inout SplitMix64) throws -> [(String, WeightMatrix, [Float])] {
        let w = (0..<(rows * columns)).map { _ in Float.random(in: -1...1, using: &rng) }
        let halves = w.map { Float16($0).bitPattern }
        let f16 = Blocks(halves.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }, offset: 1)
        let f16Matrix = WeightMatrix(rows: rows, columns: columns, storage: .f16, base: f16.base, owner: f16)
        let q8 = GGMLQuantizer.quantizeQ8_0(w)
        let int8 = quantized(w, rows: rows, columns: columns, .int8).1
        return [
            ("f16", f16Matrix, halves.map { Float(Float16(bitPattern: $0)) }),
            ("Q8_0", Self.matrix(q8, .q8_0, rows: rows, columns: columns, offset: 0), try Self.dequantized(q8, .q8_0, count: rows * columns)),
            ("int8", int8, OracleQuantizer(w, rows: rows, columns: columns, scheme: .int8).values),
        ]
    }

    @Test func reorderedRowsWidenAndApplyInLogicalOrder() throws {
        var rng = SplitMix64(seed: 99)
        let rows = 24, columns = 64
        for (name, stored, values) in try Self.reorderCases(rows: rows, columns: columns, &rng) {
            let order = Array(0..<rows).shuffled(using: &rng)
            let view = stored.reorderingRows(order)
            #expect(view.rowOrder == order && stored.rowOrder == nil, "\(name)")
            // Logical row i holds stored row order[i], bit for bit.
            let logical = (0..<rows).flatMap { values[(order[$0] * columns)..<((order[$0] + 1) * columns)] }
            #expect(Self.bitsDiffer(view.floats(), logical) == 0, "\(name) floats")
            var part = [Float](repeating: .nan, count: 5 * columns)
            try part.withUnsafeMutableBufferPointer { view.widenRows(7..<12, into: try #require($0.baseAddress)) }
            #expect(Self.bitsDiffer(part, Array(logical[(7 * columns)..<(12 * columns)])) == 0, "\(name) widenRows 7..<12")

            let bias = (0..<rows).map { _ in Float.random(in: -1...1, using: &rng) }
            for n in [1, 2, 3, 5] {
                let x = (0..<(n * columns)).map { _ in Float.random(in: -2...2, using: &rng) }
                let ldy = rows + 3
                // Against the permuted weight in Double, bias in logical order.
                let y = try Self.run(view, x, n: n, ldy: ldy, bias: bias, .apply)
                let (bad, worst) = Self.failures(y, x: x, values: logical, bias: bias, rows: rows, columns: columns, n: n, ldy: ldy)
                #expect(bad == 0, "\(name) n=\(n): worst error / bound \(worst)")
                // And exactly the stored-order outputs, permuted, plus the bias.
                let z = try Self.run(stored, x, n: n, ldy: rows, bias: nil, .apply)
                var mismatches = 0
                for t in 0..<n {
                    for i in 0..<rows where y[t * ldy + i].bitPattern != (z[t * rows + order[i]] + bias[i]).bitPattern { mismatches += 1 }
                }
                #expect(mismatches == 0, "\(name) n=\(n): view outputs are not the permuted stored outputs")
            }
        }
    }

    @Test func reorderingComposesAndIdentityIsStoredOrder() throws {
        var rng = SplitMix64(seed: 7)
        let rows = 10, columns = 32
        let (_, stored, values) = try #require(try Self.reorderCases(rows: rows, columns: columns, &rng).first { $0.0 == "Q8_0" })
        let a = Array(0..<rows).shuffled(using: &rng), b = Array(0..<rows).shuffled(using: &rng)
        let twice = stored.reorderingRows(a).reorderingRows(b)
        // Logical row i of the second view is logical row b[i] of the first: stored row a[b[i]].
        #expect(twice.rowOrder == b.map { a[$0] })
        let want = (0..<rows).flatMap { values[(a[b[$0]] * columns)..<((a[b[$0]] + 1) * columns)] }
        #expect(Self.bitsDiffer(twice.floats(), want) == 0)
        #expect(stored.reorderingRows(Array(0..<rows)).rowOrder == nil)
        var inverse = [Int](repeating: 0, count: rows)
        for (i, r) in a.enumerated() { inverse[r] = i }
        #expect(stored.reorderingRows(a).reorderingRows(inverse).rowOrder == nil)
    }
}
