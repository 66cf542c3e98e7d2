/// Row-order views: a weight whose logical rows are its stored rows in another order, e.g. to
/// undo the Q/K row permutation llama.cpp's converter applies, without copying the weight.
extension WeightMatrix {
    /// A view whose logical row i is stored row `order[i]`; `order` must be a permutation of
    /// 0..<rows. Works for every storage: `apply` runs the stored-order kernel and scatters the
    /// output columns (bias added in logical order), `widenRows` and `floats` gather the rows.
    /// Reordering a view composes the orders.
    public func reorderingRows(_ order: [Int]) -> WeightMatrix {
        var seen = [Bool](repeating: false, count: rows)
        precondition(order.count == rows, "WeightMatrix: row order has \(order.count) entries for \(rows) rows")
        for r in order {
            precondition((0..<rows).contains(r) && !seen[r], "WeightMatrix: row order is not a permutation of \(rows) rows")
            seen[r] = true
        }
        let composed = rowOrder.map { current in order.map { current[$0] } } ?? order
        let identity = composed.enumerated().allSatisfy { $0.offset == $0.element }
        return WeightMatrix(self, rowOrder: identity ? nil : composed)
    }

    /// The same weight in stored row order.
    var storedOrder: WeightMatrix { rowOrder == nil ? self : WeightMatrix(self, rowOrder: nil) }

    /// y[t, i] = z[t, order[i]] for z = x·W_storedᵀ (no bias).
    func applyReordered(_ order: [Int], _ x: UnsafePointer<Float>, count n: Int, into y: UnsafeMutablePointer<Float>, ldy ld: Int) {
        let z = UnsafeMutablePointer<Float>.allocate(capacity: max(n * rows, 1))
        defer { z.deallocate() }
        storedOrder.apply(x, count: n, into: z)
        order.withUnsafeBufferPointer { order in
            for t in 0..<n {
                let out = y + t * ld, src = z + t * rows
                for i in 0..<rows { out[i] = src[order[i]] }
            }
        }
    }

    /// Writes logical rows `range` (stored rows `order[i]`) to `out`, one stored row at a time.
    func widenReordered(_ order: [Int], _ range: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        let stored = storedOrder
        Parallel.forEach(range.count) { k in
            let r = order[range.lowerBound + k]
            stored.widenRows(r..<(r + 1), into: out + k * columns)
        }
    }
}

extension WeightMatrix {
    /// `other` with another row order (nil: as stored).
    init(_ other: WeightMatrix, rowOrder: [Int]?) {
        rows = other.rows
        columns = other.columns
        storage = other.storage
        base = other.base
        scales = other.scales
        zeros = other.zeros
        owner = other.owner
        preferredInputs = other.preferredInputs
        self.rowOrder = rowOrder
    }
}
