import Testing
@testable import Kernels

/// The `avx2` row kernels of an adapter merge give the scalar definitions' bits exactly: the
/// low-rank row update (ranks 1–64, widths with and without a tail of eight, including widths
/// below eight), the row norm and the rescale.
@Suite struct LowRankUpdateTests {
    static func values(_ count: Int, _ rng: inout SplitMix64) -> [Float] {
        (0..<count).map { _ in Float(Int64(bitPattern: rng.next() >> 11) - (1 << 52)) / Float(1 << 52) }
    }

    @Test(.enabled(if: KernelISA.avx2.isSupported()), arguments: [(1, 3), (8, 64), (16, 3072 + 5), (64, 37), (3, 8)])
    func avx2RowsHaveTheScalarBits(rank: Int, columns: Int) {
        var rng = SplitMix64(seed: UInt64(rank * 1000 + columns))
        let a = Self.values(rank * columns, &rng), b = Self.values(rank, &rng), row = Self.values(columns, &rng)
        func run(_ isa: KernelISA) -> (updated: [UInt32], norm: UInt32, scaled: [UInt32]) {
            KernelISA.$forced.withValue(isa) {
                var r = row
                r.withUnsafeMutableBufferPointer { p in
                    LowRankUpdate.addScaledProduct(row: p.baseAddress!, columns: columns, a: a, b: b, rank: rank, scale: 0.731)
                }
                let updated = r.map(\.bitPattern)
                let norm = r.withUnsafeBufferPointer { LowRankUpdate.rowNorm($0.baseAddress!, count: columns) }
                r.withUnsafeMutableBufferPointer { LowRankUpdate.scale(row: $0.baseAddress!, columns: columns, by: 1.37 / norm) }
                return (updated, norm.bitPattern, r.map(\.bitPattern))
            }
        }
        let scalar = run(.generic), vector = run(.avx2)
        #expect(vector.updated == scalar.updated, "rank \(rank) columns \(columns): update")
        #expect(vector.norm == scalar.norm, "rank \(rank) columns \(columns): norm")
        #expect(vector.scaled == scalar.scaled, "rank \(rank) columns \(columns): rescale")
        #expect(vector.updated != row.map(\.bitPattern))
    }
}
