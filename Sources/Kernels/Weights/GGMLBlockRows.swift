/// Rows of llama.cpp's two plain block layouts, 32 columns a block with a float16 scale `d`
/// first: Q8_0 (34 bytes: d, then 32 int8 q; value q·d) and Q4_0 (18 bytes: d, then 16 bytes;
/// column j < 16 is the low nibble of byte j, column j + 16 its high nibble; value (nibble − 8)·d).
/// Decoded values are exactly ggml's dequantization (one float multiply of exact factors).
struct GGMLBlockRows: @unchecked Sendable {
    static let blockColumns = 32
    let base: UnsafeRawPointer
    let blocksPerRow: Int
    let isQ8: Bool

    /// nil for other storages.
    init?(_ w: WeightMatrix) {
        switch w.storage {
        case .ggmlQ8_0: isQ8 = true
        case .ggmlQ4_0: isQ8 = false
        default: return nil
        }
        base = w.base
        blocksPerRow = w.columns / Self.blockColumns
    }

    /// Bytes of one block.
    var blockBytes: Int { isQ8 ? 34 : 18 }

    /// Bytes of one row.
    var rowStride: Int { blocksPerRow * blockBytes }

    /// Writes row `r`'s values to `out` (`blocksPerRow · 32` floats).
    func widen(row r: Int, into out: UnsafeMutablePointer<Float>) {
        var block = base + r * rowStride
        for b in 0..<blocksPerRow {
            let d = HalfPrecision.toFloat(UInt16(littleEndian: block.loadUnaligned(as: UInt16.self)))
            let o = out + b * Self.blockColumns
            if isQ8 {
                for j in 0..<32 { o[j] = Float(block.load(fromByteOffset: 2 + j, as: Int8.self)) * d }
            } else {
                for j in 0..<16 {
                    let byte = block.load(fromByteOffset: 2 + j, as: UInt8.self)
                    o[j] = Float(Int(byte & 0x0F) - 8) * d
                    o[j + 16] = Float(Int(byte >> 4) - 8) * d
                }
            }
            block += blockBytes
        }
    }

    /// Σⱼ x[j]·W[r, j] with the block sums scaled once per block: 32 products accumulated in
    /// four 8-lane vectors of integers-as-floats, then times d.
    @inline(__always)
    func dot(row r: Int, _ x: UnsafePointer<Float>) -> Float {
        var block = base + r * rowStride
        var total: Float = 0
        for b in 0..<blocksPerRow {
            let d = HalfPrecision.toFloat(UInt16(littleEndian: block.loadUnaligned(as: UInt16.self)))
            let xb = UnsafeRawPointer(x + b * Self.blockColumns)
            var acc = SIMD8<Float>()
            if isQ8 {
                for k in 0..<4 {
                    let q = block.loadUnaligned(fromByteOffset: 2 + 8 * k, as: SIMD8<Int8>.self)
                    acc += SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: q)) * xb.loadUnaligned(fromByteOffset: 32 * k, as: SIMD8<Float>.self)
                }
            } else {
                for k in 0..<2 {
                    let bytes = block.loadUnaligned(fromByteOffset: 2 + 8 * k, as: SIMD8<UInt8>.self)
                    let low = SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: bytes & 0x0F) &- 8)
                    let high = SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: bytes &>> 4) &- 8)
                    acc += low * xb.loadUnaligned(fromByteOffset: 32 * k, as: SIMD8<Float>.self)
                    acc += high * xb.loadUnaligned(fromByteOffset: 64 + 32 * k, as: SIMD8<Float>.self)
                }
            }
            total += acc.sum() * d
            block += blockBytes
        }
        return total
    }
}

/// How a tensor stored in some other row layout becomes fp32, one row at a time (ggml k-quants,
/// Q4_1, Q5_x…: the caller supplies the decoder, Kernels knows no file formats).
public final class RowDecoder: Sendable, Hashable {
    /// The layout's name, for reports (e.g. `Q4_K`).
    public let name: String
    /// Bytes of one stored row; rows are contiguous.
    public let bytesPerRow: Int
    /// Decodes one row's bytes into `columns` floats.
    public let decode: @Sendable (UnsafeRawPointer, UnsafeMutablePointer<Float>) -> Void

    public init(name: String, bytesPerRow: Int, decode: @escaping @Sendable (UnsafeRawPointer, UnsafeMutablePointer<Float>) -> Void) {
        self.name = name
        self.bytesPerRow = bytesPerRow
        self.decode = decode
    }

    public static func == (a: RowDecoder, b: RowDecoder) -> Bool { a === b }
    public func hash(into h: inout Hasher) { h.combine(ObjectIdentifier(self)) }
}
