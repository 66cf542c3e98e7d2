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
