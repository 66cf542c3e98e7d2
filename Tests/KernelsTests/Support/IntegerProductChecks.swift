@testable import Kernels
import Testing

/// Puts each (row, column, value) into a copy of the clean inputs `clean` (n rows of `columns`),
/// runs `product`, and expects every output of that row (`outputs` per row) to be NaN and every
/// other row to be bit-identical to `want` (the product of the clean inputs).
func expectNonFiniteRowsStayNonFinite(_ clean: [Float], n: Int, columns: Int, outputs: Int, want: [Float],
                                      at positions: [(Int, Int, Float)], _ product: ([Float]) throws -> [Float]) throws {
    for (row, column, value) in positions {
        var x = clean
        x[row * columns + column] = value
        let got = try product(x)
        for i in 0..<n {
            let out = got[(i * outputs)..<((i + 1) * outputs)]
            if i == row {
                #expect(out.allSatisfy { $0.isNaN }, "\(value) at row \(row) column \(column): outputs \(Array(out.prefix(4)))")
            } else {
                #expect(zip(out, want[(i * outputs)..<((i + 1) * outputs)]).allSatisfy { $0.bitPattern == $1.bitPattern },
                        "\(value) at row \(row) column \(column) changed row \(i)")
            }
        }
    }
}

/// The cosine of two equally long vectors, in Double.
func cosine(_ a: [Float], _ b: [Float]) -> Double {
    let dot = zip(a, b).map { Double($0) * Double($1) }.reduce(0, +)
    let na = a.map { Double($0) * Double($0) }.reduce(0, +), nb = b.map { Double($0) * Double($0) }.reduce(0, +)
    return dot / (na * nb).squareRoot()
}

/// `WeightMatrix.apply` of `matrix` (n input rows `x`) on every path this CPU runs: `avx2` (and
/// `avx512`, where the CPU has it) must equal the integer product's own result `direct` bit for
/// bit, `generic` the exact-W' widening of `genericInputs` bit for bit, and a view in reversed row
/// order on `avx2` the same values reordered. Returns the cosine between `avx2` and `generic`.
func checkApplyDispatch(_ matrix: WeightMatrix, _ x: [Float], n: Int, direct: [Float], genericInputs: [Float]) throws -> Double {
    let viaAVX2 = try Int16ProductTests.apply(matrix, x, n: n, on: .avx2)
    let viaGeneric = try Int16ProductTests.apply(matrix, x, n: n, on: .generic)
    let widened = try runWeightApply(matrix, genericInputs, n: n, ldy: matrix.rows, bias: nil, .widened)
    #expect(viaAVX2.map(\.bitPattern) == direct.map(\.bitPattern))
    if KernelISA.avx512.isSupported() {
        let viaAVX512 = try Int16ProductTests.apply(matrix, x, n: n, on: .avx512)
        #expect(viaAVX512.map(\.bitPattern) == direct.map(\.bitPattern), "avx512 differs from the integer product")
    }
    #expect(viaGeneric.map(\.bitPattern) == widened.map(\.bitPattern))
    let order = Array((0..<matrix.rows).reversed())
    let viewed = try Int16ProductTests.apply(matrix.reorderingRows(order), x, n: n, on: .avx2)
    for i in 0..<n { for r in 0..<matrix.rows { #expect(viewed[i * matrix.rows + r] == direct[i * matrix.rows + order[r]]) } }
    return cosine(viaAVX2, viaGeneric)
}
