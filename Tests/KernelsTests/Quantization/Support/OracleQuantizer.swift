import Kernels

/// An independent, deliberately plain reading of the pinned formulas
/// (`Fixtures/reference/quant/README.md`), element by element: Swift's `Float16` for the
/// binary16 conversion and `rounded(.toNearestOrEven)` for rounding. Tests compare the
/// quantizer's bytes and values against it.
struct OracleQuantizer {
    let rows: Int
    let columns: Int
    let scheme: QuantScheme
    /// q per element (int8: -127...127; int4 symmetric: -7...7; asymmetric: 0...15).
    var codes: [Int] = []
    /// The float32 scale per group (int8: per row) before any float16 rounding.
    var scales: [Float] = []
    /// Asymmetric zero points per group.
    var zeros: [Int] = []
    /// W' per element.
    var values: [Float] = []

    var group: Int {
        if case .int4(let g, _) = scheme { return g }
        return max(columns, 1)
    }
    var groupsPerRow: Int { scheme == .int8 ? 1 : (columns + group - 1) / group }

    init(_ w: [Float], rows: Int, columns: Int, scheme: QuantScheme) {
        self.rows = rows
        self.columns = columns
        self.scheme = scheme
        switch scheme {
        case .f32: values = w
        case .f16: values = w.map { Float(Float16($0)) }
        case .bf16: values = w.map(Self.bf16)
        case .int8, .int4:
            codes = [Int](repeating: 0, count: w.count)
            values = [Float](repeating: 0, count: w.count)
            for r in 0..<rows {
                for g in 0..<groupsPerRow {
                    let c0 = g * group, c1 = min(columns, c0 + group)
                    quantizeGroup(w, r * columns + c0, r * columns + c1)
                }
            }
        }
    }

    private static func round(_ t: Float, _ lo: Float, _ hi: Float) -> Int {
        Int(min(max(t.rounded(.toNearestOrEven), lo), hi))
    }

    private mutating func quantizeGroup(_ w: [Float], _ a: Int, _ b: Int) {
        let part = w[a..<b]
        switch scheme {
        case .int8:
            let s = part.reduce(Float(0)) { max($0, abs($1)) } / 127
            scales.append(s)
            for i in a..<b {
                codes[i] = s == 0 ? 0 : Self.round(w[i] / s, -127, 127)
                values[i] = Float(codes[i]) * s
            }
        case .int4(_, false):
            let s = part.reduce(Float(0)) { max($0, abs($1)) } / 7
            scales.append(s)
            let s16 = Float(Float16(s))
            for i in a..<b {
                codes[i] = s == 0 ? 0 : Self.round(w[i] / s, -7, 7)
                values[i] = Float(codes[i]) * s16
            }
        case .int4(_, true):
            let mn = part.reduce(w[a]) { min($0, $1) }, mx = part.reduce(w[a]) { max($0, $1) }
            // `+ 0` stores a zero scale as +0: which zero min/max pick among ±0 is unspecified,
            // and the v1 layout writes +0 (the values are the same either way).
            let s = (mx - mn) / 15 + 0
            scales.append(s)
            let z = s == 0 ? 0 : Self.round(-mn / s, 0, 15)
            zeros.append(z)
            let s16 = Float(Float16(s))
            for i in a..<b {
                // round first, add z, then clamp — literally as written in the formula.
                codes[i] = s == 0 ? 0 : Int(min(max((w[i] / s).rounded(.toNearestOrEven) + Float(z), 0), 15))
                values[i] = Float(codes[i] - z) * s16
            }
        case .f32, .f16, .bf16:
            break
        }
    }

    /// fp32 → bfloat16 → fp32 by picking the nearer of the two neighbours (ties to even).
    static func bf16(_ f: Float) -> Float {
        if f.isNaN || f.isInfinite { return f }
        let down = f.bitPattern & 0xFFFF_0000
        let up = down &+ 0x1_0000
        let dDown = abs(Double(f) - Double(Float(bitPattern: down)))
        let upValue = Float(bitPattern: up)
        // Past the largest finite bfloat16 the upper neighbour is infinity: compare with 2^128.
        let dUp = upValue.isInfinite ? abs(0x1p128 - abs(Double(f))) : abs(Double(upValue) - Double(f))
        if dDown < dUp || (dDown == dUp && (down >> 16) & 1 == 0) { return Float(bitPattern: down) }
        return Float(bitPattern: up)
    }

    /// The v1 layout, assembled element by element from the spec's indexing rules.
    var bytes: QuantizedBytes {
        switch scheme {
        case .f32:
            return QuantizedBytes(data: values.flatMap { le32($0.bitPattern) })
        case .f16:
            return QuantizedBytes(data: values.flatMap { le16(Float16($0).bitPattern) })
        case .bf16:
            return QuantizedBytes(data: values.flatMap { le16(UInt16($0.bitPattern >> 16)) })
        case .int8:
            return QuantizedBytes(data: codes.map { UInt8(bitPattern: Int8($0)) }, scales: scales.flatMap { le32($0.bitPattern) })
        case .int4(_, let asymmetric):
            let stride = (columns + 1) / 2
            var data = [UInt8](repeating: 0, count: rows * stride)
            for r in 0..<rows {
                for j in 0..<columns {
                    let nibble = UInt8(asymmetric ? codes[r * columns + j] : codes[r * columns + j] + 8)
                    data[r * stride + j / 2] |= j % 2 == 0 ? nibble : nibble << 4
                }
            }
            return QuantizedBytes(data: data, scales: scales.flatMap { le16(Float16($0).bitPattern) },
                                  zeros: asymmetric ? zeros.map { UInt8($0) } : [])
        }
    }

    private func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
    private func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } }
}

/// Quantizes `w` and returns the bytes and the `WeightMatrix` reading them.
func quantized(_ w: [Float], rows: Int, columns: Int, _ scheme: QuantScheme) -> (QuantizedBytes, WeightMatrix) {
    let bytes = w.withUnsafeBufferPointer { WeightQuantizer.quantize($0, rows: rows, columns: columns, scheme: scheme) }
    return (bytes, WeightMatrix(rows: rows, columns: columns, scheme: scheme, bytes: bytes))
}

/// Value equality that treats -0.0 == 0.0 and NaN == NaN; returns the number of mismatches.
func valueMismatches(_ a: [Float], _ b: [Float]) -> Int {
    precondition(a.count == b.count, "valueMismatches: \(a.count) vs \(b.count) values")
    return zip(a, b).filter { !($0 == $1 || ($0.isNaN && $1.isNaN)) }.count
}
