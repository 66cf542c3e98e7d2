/// The loop the direct (few-input-row) kernels share: output rows split over threads, input rows
/// taken two at a time through `two` (one decode of the weight row for both) and a trailing one
/// through `one`. y[i·ldy + r] receives the dot of input row i with weight row r.
enum DirectProductRows {
    static func run(rows: Int, inputs n: Int, columns: Int, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, ldy: Int,
                    one: (Int, UnsafePointer<Float>) -> Float,
                    two: (Int, UnsafePointer<Float>, UnsafePointer<Float>) -> (Float, Float)) {
        Parallel.forEach(rows) { r in
            var i = 0
            while i < n {
                let row = x + i * columns, out = y + i * ldy + r
                if n - i >= 2 {
                    (out[0], out[ldy]) = two(r, row, row + columns)
                    i += 2
                } else {
                    out[0] = one(r, row)
                    i += 1
                }
            }
        }
    }
}
