@testable import Kernels
import TensorFormats
import Testing

/// `WeightMatrix.apply(_:segments:into:ldy:bias:)` against `apply` over each segment alone, bit
/// for bit, for every storage on the active kernel path (`KernelISA.active`; the suite runs once
/// per `VLMEMBED_ISA` path), and the row-independence each kernel claims (`Kernel.isRowIndependent`).
@Suite struct SegmentedApplyTests {
    static let mixes: [[Int]] = [[1], [2], [2, 1], [1, 1, 1, 1], [5, 1, 2, 16, 3], [3, 3], [16, 16], [0, 2, 0, 7], [1, 2, 40, 1, 3]]

    /// Every storage a decoder weight can have, `rows × columns` (columns a multiple of 64).
    static func weights(rows: Int, columns: Int, seed: UInt64) -> [(String, WeightMatrix)] {
        var rng = SplitMix64(seed: seed)
        let w = (0..<(rows * columns)).map { _ in Float.random(in: -1...1, using: &rng) }
        func raw(_ bytes: [UInt8], _ storage: WeightMatrix.Storage, offset: Int = 0) -> WeightMatrix {
            let box = GGMLWeightStorageTests.Blocks(bytes, offset: offset)
            return WeightMatrix(rows: rows, columns: columns, storage: storage, base: box.base, owner: box)
        }
        let f32 = w.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian, Array.init) }
        let bf16 = w.flatMap { v -> [UInt8] in let b = v.bitPattern >> 16; return [UInt8(b & 0xFF), UInt8(b >> 8)] }
        let f16 = w.flatMap { v -> [UInt8] in let b = Float16(v).bitPattern; return [UInt8(b & 0xFF), UInt8(b >> 8)] }
        func quantized(_ scheme: QuantScheme) -> WeightMatrix { Self.quantized(w, rows: rows, columns: columns, scheme) }
        var int4Int8Inputs = quantized(.int4(group: 32, asymmetric: false))
        int4Int8Inputs.preferredInputs = .int8
        let int8 = quantized(.int8)
        return [
            ("f32", raw(f32, .f32)), ("f32 unaligned", raw(f32, .f32, offset: 2)), ("bf16", raw(bf16, .bf16, offset: 1)), ("f16", raw(f16, .f16)),
            ("int8", int8), ("int8 reordered", int8.reorderingRows(Array((0..<rows).reversed()))),
            ("int4 g32", quantized(.int4(group: 32, asymmetric: false))),
            ("int4 g32 asym", quantized(.int4(group: 32, asymmetric: true))),
            ("int4 g64", quantized(.int4(group: 64, asymmetric: false))),
            ("int4 g64 asym", quantized(.int4(group: 64, asymmetric: true))),
            ("int4 g32 int8 inputs", int4Int8Inputs),
            ("Q8_0", raw(GGMLQuantizer.quantizeQ8_0(w), .ggmlQ8_0)), ("Q4_0", raw(GGMLQuantizer.quantizeQ4_0(w), .ggmlQ4_0, offset: 3)),
        ]
    }

    /// `w` quantized to `scheme`, the sections wrapped as a bundle wraps them: no zero-point
    /// section for symmetric schemes. (`WeightMatrix(rows:columns:scheme:bytes:)` passes a 1-byte
    /// zero section for them, which the C kernels' `kernelCodeRows` then reads as zero points.)
    static func quantized(_ w: [Float], rows: Int, columns: Int, _ scheme: QuantScheme) -> WeightMatrix {
        let bytes = w.withUnsafeBufferPointer { WeightQuantizer.quantize($0, rows: rows, columns: columns, scheme: scheme) }
        let data = Int16ProductTests.ByteBox(bytes.data), scales = Int16ProductTests.ByteBox(bytes.scales)
        let zeros = Int16ProductTests.ByteBox(bytes.zeros)
        return WeightMatrix(rows: rows, columns: columns, storage: scheme.storage, base: data.pointer, scales: scales.pointer,
                            zeros: bytes.zeros.isEmpty ? nil : zeros.pointer, owner: Owners([data, scales, zeros]))
    }

    final class Owners: @unchecked Sendable {
        let objects: [AnyObject]
        init(_ objects: [AnyObject]) { self.objects = objects }
    }

    static func inputs(rows n: Int, columns: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<(n * columns)).map { _ in Float.random(in: -2...2, using: &rng) }
    }

    /// y (n × ldy, padding NaN) by `body(x, y)`.
    static func run(_ x: [Float], n: Int, ldy: Int, _ body: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void) throws -> [Float] {
        var y = [Float](repeating: .nan, count: n * ldy)
        try x.withUnsafeBufferPointer { xb in
            try y.withUnsafeMutableBufferPointer { yb in body(try #require(xb.baseAddress), try #require(yb.baseAddress)) }
        }
        return y
    }

    /// How many elements differ in bits (NaN padding compares equal to itself); a length mismatch counts all.
    static func differing(_ a: [Float], _ b: [Float]) -> Int {
        a.count == b.count ? zip(a, b).filter { $0.bitPattern != $1.bitPattern }.count : max(a.count, b.count)
    }

    /// Each segment `apply`'d alone, into its own buffers, then laid side by side.
    static func perSegment(_ w: WeightMatrix, _ x: [Float], _ segments: [Int], ldy: Int, bias: [Float]?) throws -> [Float] {
        var out: [Float] = [], start = 0
        for m in segments {
            let xs = Array(x[(start * w.columns)..<((start + m) * w.columns)])
            out += try run(xs, n: m, ldy: ldy) { w.apply($0, count: m, into: $1, ldy: ldy, bias: bias) }
            start += m
        }
        return out
    }

    @Test(arguments: [(24, 256), (136, 1024)])
    func segmentsMatchSoloCalls(rows: Int, columns: Int) throws {
        let bias = (0..<rows).map { Float($0) * 0.125 - 1 }
        let total = Self.mixes.map { $0.reduce(0, +) }.max() ?? 0
        let x = Self.inputs(rows: total, columns: columns, seed: 7)
        for (name, w) in Self.weights(rows: rows, columns: columns, seed: 3) {
            for segments in Self.mixes {
                let n = segments.reduce(0, +), xs = Array(x.prefix(n * columns))
                for (ldy, b) in [(rows, nil), (rows + 5, bias)] as [(Int, [Float]?)] {
                    let want = try Self.perSegment(w, xs, segments, ldy: ldy, bias: b)
                    let got = try Self.run(xs, n: n, ldy: ldy) { w.apply($0, segments: segments, into: $1, ldy: ldy, bias: b) }
                    #expect(Self.differing(got, want) == 0,
                            "\(KernelISA.active) \(name) \(rows)×\(columns) segments \(segments) ldy \(ldy): differs from per-segment apply")
                }
            }
        }
    }

    /// What `Kernel.isRowIndependent` claims, checked directly: a kernel that claims it gives each
    /// row of one call over all rows the bits of calls over sub-ranges taking the same kernel.
    @Test func rowIndependentKernelsAre() throws {
        let columns = 512, rows = 40, runs = [3, 7, 16, 4, 30]
        let x = Self.inputs(rows: runs.reduce(0, +), columns: columns, seed: 11)
        var claimed = 0
        for (name, w) in Self.weights(rows: rows, columns: columns, seed: 5) {
            let all = w.storedOrder.kernel(forInputs: runs.reduce(0, +))
            guard all.isRowIndependent else { continue }
            claimed += 1
            let whole = try Self.run(x, n: runs.reduce(0, +), ldy: rows) { w.apply($0, count: runs.reduce(0, +), into: $1) }
            let diff = Self.differing(whole, try Self.perSegment(w, x, runs, ldy: rows, bias: nil))
            #expect(diff == 0, "\(KernelISA.active) \(name): its kernel claims row independence but \(diff) outputs differ")
        }
        print("SEGMENTS \(KernelISA.active): \(claimed) storages take a row-independent kernel for \(runs.reduce(0, +)) rows")
    }

    /// Reported, not gated: whether sgemm (OpenBLAS, or the portable GEMM without it) and the
    /// direct kernels' paired rows give a row the bits of a one-row call — the reason the
    /// segmented `apply` calls them per segment.
    @Test func reportRowDependence() throws {
        let columns = 256, rows = 192
        let x = Self.inputs(rows: 24, columns: columns, seed: 13)
        for (name, w) in Self.weights(rows: rows, columns: columns, seed: 17) where ["f32", "int8", "int4 g32", "Q8_0", "Q4_0"].contains(name) {
            let single = try Self.perSegment(w, x, [Int](repeating: 1, count: 24), ldy: rows, bias: nil)
            let pairs = try Self.perSegment(w, x, [Int](repeating: 2, count: 12), ldy: rows, bias: nil)
            let whole = try Self.run(x, n: 24, ldy: rows) { w.apply($0, count: 24, into: $1) }
            let pairDiff = Self.differing(pairs, single), wholeDiff = Self.differing(whole, single)
            print("SEGMENTS \(KernelISA.active) \(name) (\(BLAS.backendDescription)): 2-row calls differ from 1-row calls in \(pairDiff)/\(single.count) outputs; one 24-row call (the kernel for 24 rows) in \(wholeDiff)/\(single.count)")
        }
    }
}
