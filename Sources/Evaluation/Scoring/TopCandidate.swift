/// Which candidate a query picks: the highest dot product (cosine, the embeddings being
/// L2-normalised), accumulated in Double; on a tie the first (lowest-index) candidate wins, as
/// upstream's `argmax` does. Precision@1 counts the queries that pick candidate 0.
public enum TopCandidate {
    /// The index of the best candidate (0 for an empty list).
    public static func pick(query: [Float], candidates: [[Float]]) -> Int {
        var best = 0
        var bestScore = -Double.infinity
        for (i, c) in candidates.enumerated() {
            let s = dot(query, c)
            if s > bestScore {
                best = i
                bestScore = s
            }
        }
        return best
    }

    /// Σ qᵢ·cᵢ in Double (each product is exact; only the summation rounds).
    public static func dot(_ a: [Float], _ b: [Float]) -> Double {
        precondition(a.count == b.count, "TopCandidate: embedding widths differ")
        var s = 0.0
        a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in
                for i in 0..<x.count { s += Double(x[i]) * Double(y[i]) }
            }
        }
        return s
    }
}
