import Foundation
import Testing
import Kernels
import ModelGraph

/// `LoRAMath.mergedWeight` merges in place a stored row at a time; on every kernel path its bits
/// equal the textbook order (ΔW = B·A materialized as scalar fused multiply-add chains over the
/// rank, then W + ΔW·s, then DoRA's per-row rescale) for plain and fan_in_fan_out storage, with and
/// without a magnitude, at row widths with and without a tail of eight.
@Suite struct AdapterMergeArithmeticTests {
    /// Deterministic values in about [-1, 1].
    static func values(_ count: Int, seed: Float) -> [Float] {
        (0..<count).map { sin(Float($0) * 0.7371 + seed) * cos(Float($0) * 0.113 + 2 * seed) }
    }

    /// The whole-matrix formulation: ΔW = B·A ([n × rank]·[rank × k]) in full, then added.
    static func materialized(base: [Float], rows: Int, columns: Int, a: [Float], b: [Float], rank: Int, scale s: Float,
                             fanInFanOut: Bool, magnitude: [Float]?) -> [Float] {
        let n = fanInFanOut ? columns : rows, k = fanInFanOut ? rows : columns
        var delta = [Float](repeating: 0, count: n * k)
        for i in 0..<n {
            for t in 0..<rank {
                for j in 0..<k { delta[i * k + j] = delta[i * k + j].addingProduct(b[i * rank + t], a[t * k + j]) }
            }
        }
        var w = base
        for i in 0..<(rows * columns) {
            let d = fanInFanOut ? delta[(i % columns) * k + i / columns] : delta[i]
            w[i] += d * s
        }
        if let magnitude {
            for r in 0..<rows {
                let norm = w.withUnsafeBufferPointer { row in
                    KernelISA.$forced.withValue(.generic) { LowRankUpdate.rowNorm(row.baseAddress! + r * columns, count: columns) }
                }
                for j in 0..<columns { w[r * columns + j] *= magnitude[r] / norm }
            }
        }
        return w
    }

    @Test(arguments: [(48, 40, 8), (37, 61, 16), (5, 3, 1)])
    func inPlaceMergeHasTheMaterializedBits(rows: Int, columns: Int, rank: Int) {
        for fanInFanOut in [false, true] {
            for dora in [false, true] {
                let (n, k) = fanInFanOut ? (columns, rows) : (rows, columns)
                let base = Self.values(rows * columns, seed: 0.3), a = Self.values(rank * k, seed: 1.1), b = Self.values(n * rank, seed: 2.9)
                let magnitude = dora ? Self.values(rows, seed: 4.2).map { abs($0) + 0.5 } : nil
                let expected = Self.materialized(base: base, rows: rows, columns: columns, a: a, b: b, rank: rank, scale: 0.37,
                                                 fanInFanOut: fanInFanOut, magnitude: magnitude)
                for isa in KernelISA.available {
                    let merged = KernelISA.$forced.withValue(isa) {
                        LoRAMath.mergedWeight(base: base, rows: rows, columns: columns, a: a, b: b, rank: rank, scale: 0.37,
                                              fanInFanOut: fanInFanOut, magnitude: magnitude)
                    }
                    #expect(merged.map(\.bitPattern) == expected.map(\.bitPattern),
                            "\(isa): \(rows)×\(columns) r\(rank) fan_in_fan_out \(fanInFanOut) dora \(dora)")
                    #expect(merged != base)
                }
            }
        }
    }
}
