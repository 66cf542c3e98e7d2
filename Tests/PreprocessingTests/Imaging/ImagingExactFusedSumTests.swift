import Testing
@testable import Preprocessing

/// The fused-multiply-add emulation behind `TorchBicubic`, against `fmaf` (`addingProduct`, one
/// rounding per multiply-add) bit for bit, and the `FloatGrid` proof that lets it skip its checks.
@Suite("Imaging: exact fused sums (torch bicubic arithmetic)")
struct ImagingExactFusedSumTests {
    /// torch's 4-tap order with correctly rounded fused multiply-adds.
    static func reference(_ v: [Float], _ w: [Float]) -> Float {
        var o = v[1] * w[1]
        o = o.addingProduct(v[0], w[0])
        o = o.addingProduct(v[2], w[2])
        return o.addingProduct(v[3], w[3])
    }

    /// A deterministic generator (tests must not depend on the run).
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 11
        }
        mutating func unit() -> Float { Float(next() >> 29) / Float(1 << 24) }
    }

    /// Runs the lane kernels (falling back to the scalar sum as `RowStream` does) on 4 outputs whose
    /// taps are `v[b][l]`, `w[b][l]`, and compares every lane with `reference`.
    static func checkLanes(_ v: [[Float]], _ w: [[Float]], exactInDouble: Bool = false) -> Int {
        func lanes(_ x: [Float]) -> ExactFusedSum.Lanes { ExactFusedSum.Lanes(SIMD4<Float>(x[0], x[1], x[2], x[3])) }
        let result: SIMD4<Float>
        if exactInDouble {
            result = ExactFusedSum.sumExactInDouble(lanes(v[0]), lanes(v[1]), lanes(v[2]), lanes(v[3]),
                                                    lanes(w[0]), lanes(w[1]), lanes(w[2]), lanes(w[3]))
        } else if let r = ExactFusedSum.sum(lanes(v[0]), lanes(v[1]), lanes(v[2]), lanes(v[3]),
                                            lanes(w[0]), lanes(w[1]), lanes(w[2]), lanes(w[3])) {
            result = r
        } else {
            result = SIMD4((0..<4).map { l in ExactFusedSum.sum(v[0][l], v[1][l], v[2][l], v[3][l], w[0][l], w[1][l], w[2][l], w[3][l]) })
        }
        var mismatches = 0
        for l in 0..<4 {
            let expected = reference((0..<4).map { v[$0][l] }, (0..<4).map { w[$0][l] })
            let scalar = ExactFusedSum.sum(v[0][l], v[1][l], v[2][l], v[3][l], w[0][l], w[1][l], w[2][l], w[3][l])
            if result[l].bitPattern != expected.bitPattern || scalar.bitPattern != expected.bitPattern { mismatches += 1 }
        }
        return mismatches
    }

    @Test("checked kernel equals fmaf on random values, table values with cubic weights, zeros and tiny values")
    func checkedKernel() {
        var g = Generator(state: 7)
        let table = PixelNormalization.torchvisionTables(mean: Phi3VImageProcessor.clipMean, std: Phi3VImageProcessor.clipStd)[0]
        let cubic = TorchBicubic.Taps(inSize: 672, outSize: 336).weight  // t = 0.5: few-bit weights, many exact ties
        var mismatches = 0
        for round in 0..<20_000 {
            var v = [[Float]](repeating: [0, 0, 0, 0], count: 4), w = v
            for b in 0..<4 {
                for l in 0..<4 {
                    switch round % 4 {
                    case 0: v[b][l] = (g.unit() - 0.5) * 8; w[b][l] = g.unit() * 1.5 - 0.25
                    case 1: v[b][l] = table[Int(g.next() % 256)]; w[b][l] = cubic[b]
                    case 2: v[b][l] = g.next() % 3 == 0 ? 0 : table[Int(g.next() % 256)]; w[b][l] = g.next() % 2 == 0 ? 0 : cubic[b]
                    default: v[b][l] = (g.unit() - 0.5) * 0x1p-120; w[b][l] = g.unit()
                    }
                }
            }
            mismatches += Self.checkLanes(v, w)
        }
        #expect(mismatches == 0)
    }

    @Test("an inexact halfway double is caught in every lane")
    func inexactHalfway() {
        // o = 1 + 2⁻²³ (odd last bit); adding p = 2⁻²⁴·(1 − 2⁻⁴⁶) rounds in double to the float midpoint
        // 1 + 1.5·2⁻²³, which would round to even (up), while the exact sum lies below it.
        for lane in 0..<4 {
            var v = [[Float]](repeating: [0.5, 0.5, 0.5, 0.5], count: 4)
            var w = [[Float]](repeating: [0, 0, 0, 0], count: 4)
            v[1][lane] = 1 + 0x1p-23; w[1][lane] = 1
            v[0][lane] = 1 + 0x1p-23; w[0][lane] = 0x1p-24 * (1 - 0x1p-23)
            #expect(Self.checkLanes(v, w) == 0, "lane \(lane)")
            #expect(Self.reference(v.map { $0[lane] }, w.map { $0[lane] }) == 1 + 0x1p-23)
        }
    }

    @Test("unchecked kernel equals fmaf wherever the grid proves the sums exact")
    func uncheckedKernel() throws {
        let tables = PixelNormalization.torchvisionTables(mean: Phi3VImageProcessor.clipMean, std: Phi3VImageProcessor.clipStd)
        let values = try #require(FloatGrid(tables.flatMap { $0 }))
        var g = Generator(state: 11)
        var proven = 0, mismatches = 0
        for (inSize, outSize) in [(336, 336), (672, 336), (1008, 336), (1344, 336), (2016, 336), (5376, 336), (500, 336), (1000, 336)] {
            let taps = TorchBicubic.Taps(inSize: inSize, outSize: outSize)
            guard let mid = TorchBicubic.RowStream.sumGrid(of: values, taps: taps) else { continue }
            proven += 1
            // Both passes: table values through these weights, and sums of those through them again.
            for pass in 0..<2 {
                for _ in 0..<2_000 {
                    let i = Int(g.next() % UInt64(outSize - 3))
                    var v = [[Float]](repeating: [0, 0, 0, 0], count: 4), w = v
                    for b in 0..<4 {
                        for l in 0..<4 {
                            w[b][l] = taps.weight[4 * (i + l) + b]
                            let row = (0..<4).map { _ in tables[Int(g.next() % 3)][Int(g.next() % 256)] }
                            v[b][l] = pass == 0 ? row[0] : Self.reference(row, (0..<4).map { taps.weight[4 * i + $0] })
                        }
                    }
                    if pass == 1 && TorchBicubic.RowStream.sumGrid(of: mid, taps: taps) == nil { continue }
                    mismatches += Self.checkLanes(v, w, exactInDouble: true)
                }
            }
        }
        #expect(mismatches == 0)
        #expect(proven >= 6, "the grid proof should cover Phi-3-V's integer downscales")
    }

    @Test("Phi-3-V's global view takes the proven path for every HD size")
    func phi3GlobalViewIsProven() throws {
        let tables = PixelNormalization.torchvisionTables(mean: Phi3VImageProcessor.clipMean, std: Phi3VImageProcessor.clipStd)
        let values = try #require(FloatGrid(tables.flatMap { $0 }))
        // HD sides are 336·k; num_crops up to 16 gives k ≤ 16 along either axis.
        for k in 1...16 {
            let stream = TorchBicubic.RowStream(channels: 3, height: 336 * k, width: 336 * k, outHeight: 336, outWidth: 336, values: values)
            #expect(stream.widthExactInDouble && stream.heightExactInDouble, "k = \(k)")
        }
    }

    @Test("float grids: finest bit and magnitude bound")
    func floatGrid() throws {
        let g = try #require(FloatGrid([0.75, -3, 0]))
        #expect(g.finestExponent == -2 && g.magnitudeExponent == 2)
        let zeros = try #require(FloatGrid([0, -0]))
        #expect(zeros.finestExponent == 0 && zeros.magnitudeExponent == 0)
        #expect(FloatGrid([1, .infinity]) == nil)
        #expect(FloatGrid([1, .nan]) == nil)
        #expect(FloatGrid([1, .leastNonzeroMagnitude]) == nil)
        // Full-precision weights over full-precision values cannot be proven exact.
        #expect(FloatGrid(finestExponent: -40, magnitudeExponent: 3).weightedSums(weights: FloatGrid(finestExponent: -24, magnitudeExponent: 0),
                                                                                   weightSumExponent: 1) == nil)
        let sums = try #require(FloatGrid(finestExponent: -30, magnitudeExponent: 2).weightedSums(weights: FloatGrid(finestExponent: -5, magnitudeExponent: 0),
                                                                                                    weightSumExponent: 1))
        #expect(sums == FloatGrid(finestExponent: -35, magnitudeExponent: 4))
    }
}
