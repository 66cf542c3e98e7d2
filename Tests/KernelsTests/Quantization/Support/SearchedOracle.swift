import Kernels

/// A plain reading of the searched int4 methods as `Formats/vlmb.md` §3.2 pins them, group by
/// group and element by element (Swift's `Float16` for binary16, `rounded(.toNearestOrEven)`),
/// written apart from `SearchedScaleQuantizer` so that the tests compare two readings of the text.
struct SearchedOracle {
    let rows: Int, columns: Int, group: Int, asymmetric: Bool
    /// Stored nibble per element.
    var nibbles: [UInt8] = []
    /// Stored binary16 scale per group.
    var scales: [Float16] = []
    /// Zero point per group (asymmetric).
    var zeros: [UInt8] = []
    /// W' per element: (nibble − 8) · s16 or (nibble − z) · s16.
    var values: [Float] = []

    init(_ w: [Float], rows: Int, columns: Int, group: Int, asymmetric: Bool, importance: [Float]?) {
        self.rows = rows; self.columns = columns; self.group = group; self.asymmetric = asymmetric
        nibbles = [UInt8](repeating: 0, count: w.count)
        values = [Float](repeating: 0, count: w.count)
        for r in 0..<rows {
            var c0 = 0
            while c0 < columns {
                let c1 = min(columns, c0 + group)
                let idx = Array((r * columns + c0)..<(r * columns + c1))
                let x = idx.map { w[$0] }
                let weights = (c0..<c1).map { c in importance.map { $0[c] } ?? w[r * columns + c] * w[r * columns + c] }
                let (s16, z, codes) = asymmetric ? Self.asymmetric(x, weights) : Self.symmetric(x, weights)
                scales.append(s16)
                if asymmetric { zeros.append(UInt8(z)) }
                for (k, i) in idx.enumerated() {
                    nibbles[i] = UInt8(codes[k] + (asymmetric ? z : 8))
                    values[i] = Float(codes[k]) * Float(s16)
                }
                c0 = c1
            }
        }
    }

    static func rne(_ t: Float, _ lo: Int, _ hi: Int) -> Int {
        let r = t.rounded(.toNearestOrEven)
        return r.isNaN ? 0 : Int(min(max(r, Float(lo)), Float(hi)))
    }

    /// A, B of the least-squares fit of codes l to x with weights w: Σ w·x·l and Σ w·l² in Double, in order.
    static func fit(_ x: [Float], _ w: [Float], _ l: [Int]) -> (Double, Double) {
        var a = 0.0, b = 0.0
        for j in x.indices {
            a += Double(w[j]) * Double(x[j]) * Double(l[j])
            b += Double(w[j]) * Double(l[j]) * Double(l[j])
        }
        return (a, b)
    }

    static func half(_ s: Float) -> Float16 {
        let h = Float16(s)
        return h.isInfinite ? (s < 0 ? -Float16.greatestFiniteMagnitude : Float16.greatestFiniteMagnitude) : h
    }

    /// Two refinement steps: codes nearest to s, then s = A / B (stop when B = 0 or the refit is 0 or not finite).
    static func refine(_ x: [Float], _ w: [Float], _ s0: Float, _ lo: Int, _ hi: Int) -> Float {
        var s = s0
        for _ in 0..<2 {
            let (a, b) = fit(x, w, x.map { rne($0 / s, lo, hi) })
            guard b > 0, Float(a / b) != 0, Float(a / b).isFinite else { break }
            s = Float(a / b)
        }
        return s
    }

    static func symmetric(_ x: [Float], _ w: [Float]) -> (Float16, Int, [Int]) {
        var m: Float = 0
        for v in x where abs(v) > abs(m) { m = v }
        var bestScore = -1.0, bestScale: Float = 0
        if m != 0 && m.isFinite {
            for k in -10...10 {
                let t = -(Float(80 + k) / 10) / m
                let (a, b) = fit(x, w, x.map { rne(t * $0, -8, 7) })
                if b > 0 && a * a / b > bestScore { bestScore = a * a / b; bestScale = Float(a / b) }
            }
        }
        if bestScore >= 0 && bestScale != 0 && bestScale.isFinite {
            let s16 = half(refine(x, w, bestScale, -8, 7))
            if s16 != 0 { return (s16, 0, x.map { rne($0 / Float(s16), -8, 7) }) }
        }
        // Round to nearest: s = max|x| / 7, codes from the binary32 s.
        let s = x.map { abs($0) }.max()! / 7
        return (Float16(s), 0, x.map { s == 0 ? 0 : rne($0 / s, -7, 7) })
    }

    static func asymmetric(_ x: [Float], _ w: [Float]) -> (Float16, Int, [Int]) {
        let lo = x.min()!, hi = x.max()!
        var found = false, scale: Float = 0, zero = 0
        if lo.isFinite && hi.isFinite {
            if lo == hi {
                if lo != 0 { (found, scale, zero) = (true, abs(lo) / 15, lo > 0 ? 0 : 15) }
            } else {
                var bestScore = -1.0
                for k in -10...10 {
                    let s = (hi - lo) / (Float(150 + k) / 10)
                    guard s > 0, s.isFinite else { continue }
                    let z = rne(-lo / s, 0, 15)
                    let (a, b) = fit(x, w, x.map { rne($0 / s, -z, 15 - z) })
                    if b > 0 && a > 0 && a * a / b > bestScore { bestScore = a * a / b; scale = Float(a / b); zero = z }
                }
                if bestScore >= 0 && scale > 0 && scale.isFinite {
                    found = true
                    let refined = refine(x, w, scale, -zero, 15 - zero)
                    if refined > 0 { scale = refined }
                }
            }
        }
        if found {
            let s16 = half(scale)
            if s16 != 0 { return (s16, zero, x.map { rne($0 / Float(s16), -zero, 15 - zero) }) }
        }
        let s = (hi - lo) / 15 + 0
        let z = s == 0 ? 0 : rne(-lo / s, 0, 15)
        return (Float16(s), z, x.map { s == 0 ? 0 : rne($0 / s, -z, 15 - z) })
    }

    /// The v1 int4 layout assembled from the nibbles.
    var bytes: QuantizedBytes {
        let stride = (columns + 1) / 2
        var data = [UInt8](repeating: 0, count: rows * stride)
        for r in 0..<rows {
            for j in 0..<columns { data[r * stride + j / 2] |= j % 2 == 0 ? nibbles[r * columns + j] : nibbles[r * columns + j] << 4 }
        }
        let scaleBytes = scales.flatMap { [UInt8($0.bitPattern & 0xFF), UInt8($0.bitPattern >> 8)] }
        return QuantizedBytes(data: data, scales: scaleBytes, zeros: asymmetric ? zeros : [])
    }
}
