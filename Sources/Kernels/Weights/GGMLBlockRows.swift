/// Rows of llama.cpp's two plain block layouts, read in place: 32 columns a block, a float16
/// scale `d` (little-endian) first, then the codes.
/// - Q8_0, 34 bytes: 32 int8 q; value q·d.
/// - Q4_0, 18 bytes: 16 bytes; column j < 16 is the low nibble of byte j, column j + 16 its
///   high nibble; value (nibble − 8)·d.
/// Every value is one float32 multiply of two exact factors, so the decoded values are exactly
/// ggml's (and `GGMLDequantizer`'s) on every path that uses this reader.
struct GGMLBlockRows: @unchecked Sendable {
    enum Layout { case q8_0, q4_0 }

    static let blockColumns = 32
    let base: UnsafeRawPointer
    let layout: Layout
    let blocksPerRow: Int

    /// nil for other storages.
    init?(_ w: WeightMatrix) {
        switch w.storage {
        case .ggmlQ8_0: layout = .q8_0
        case .ggmlQ4_0: layout = .q4_0
        case .f32, .f16, .bf16, .int8, .int4, .rowDecoded: return nil
        }
        base = w.base
        blocksPerRow = w.columns / Self.blockColumns
    }

    /// Bytes of one block.
    var blockBytes: Int { layout == .q8_0 ? 34 : 18 }

    /// Bytes of one row.
    var rowStride: Int { blocksPerRow * blockBytes }

    /// The first block of row `r`.
    @inline(__always)
    func row(_ r: Int) -> UnsafeRawPointer { base + r * rowStride }

    /// A block's scale d.
    @inline(__always)
    static func scale(_ block: UnsafeRawPointer) -> Float {
        HalfPrecision.toFloat(UInt16(littleEndian: block.loadUnaligned(as: UInt16.self)))
    }

    /// Writes row `r`'s `blocksPerRow · 32` values to `out` (plain loops, which the compiler
    /// vectorises better than explicit SIMD conversions here).
    func widen(row r: Int, into out: UnsafeMutablePointer<Float>) {
        var block = row(r)
        for b in 0..<blocksPerRow {
            let d = Self.scale(block), o = out + b * Self.blockColumns
            switch layout {
            case .q8_0:
                for j in 0..<32 { o[j] = Float(block.load(fromByteOffset: 2 + j, as: Int8.self)) * d }
            case .q4_0:
                for j in 0..<16 {
                    let byte = block.load(fromByteOffset: 2 + j, as: UInt8.self)
                    o[j] = Float(Int32(byte & 0x0F) &- 8) * d
                    o[j + 16] = Float(Int32(byte &>> 4) &- 8) * d
                }
            }
            block += blockBytes
        }
    }
}
