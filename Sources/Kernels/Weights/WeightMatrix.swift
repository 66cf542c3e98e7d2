/// A linear layer's weight `W[rows = out, columns = in]` in whatever storage it came in.
/// Layers ask it for `y = x·Wᵀ`; the storage picks the kernel. 16-bit weights are widened to
/// fp32 a tile of rows at a time, so no full fp32 copy of the matrix is ever made.
public struct WeightMatrix: @unchecked Sendable {
    /// How the elements are stored.
    public enum Storage: Sendable, Equatable { case f32, f16, bf16 }

    public let rows: Int
    public let columns: Int
    public let storage: Storage
    /// Little-endian elements, row-major; may be unaligned for 16-bit storage.
    public let base: UnsafeRawPointer
    private let owner: AnyObject?

    /// Wraps memory kept alive by `owner` (a mapped file or a buffer).
    public init(rows: Int, columns: Int, storage: Storage, base: UnsafeRawPointer, owner: AnyObject?) {
        self.rows = rows
        self.columns = columns
        self.storage = storage
        self.base = base
        self.owner = owner
    }

    /// An fp32 weight that owns its values.
    public init(rows: Int, columns: Int, values: [Float]) {
        precondition(values.count == rows * columns, "WeightMatrix: value count does not match shape")
        let buffer = FloatBuffer(values)
        self.init(rows: rows, columns: columns, storage: .f32, base: UnsafeRawPointer(buffer.pointer), owner: buffer)
    }

    /// y[n × rows] = x[n × columns] · Wᵀ (+ bias), written with row stride `ldy` (default `rows`).
    public func apply(_ x: UnsafePointer<Float>, count n: Int, into y: UnsafeMutablePointer<Float>, ldy: Int? = nil, bias: [Float]? = nil) {
        let ld = ldy ?? rows
        switch storage {
        case .f32 where Int(bitPattern: base) % MemoryLayout<Float>.alignment == 0:
            BLAS.sgemm(.no, .yes, m: n, n: rows, k: columns, a: x, lda: columns,
                       b: base.assumingMemoryBound(to: Float.self), ldb: columns, c: y, ldc: ld)
        default:
            let tile = max(1, min(rows, (1 << 20) / max(columns, 1)))
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: tile * columns)
            defer { scratch.deallocate() }
            var r0 = 0
            while r0 < rows {
                let r1 = min(rows, r0 + tile)
                widenRows(r0..<r1, into: scratch)
                BLAS.sgemm(.no, .yes, m: n, n: r1 - r0, k: columns, a: x, lda: columns, b: scratch, ldb: columns, c: y + r0, ldc: ld)
                r0 = r1
            }
        }
        if let bias {
            precondition(bias.count == rows, "bias length does not match weight rows")
            for i in 0..<n { let row = y + i * ld; for j in 0..<rows { row[j] += bias[j] } }
        }
    }

    /// Copies rows `range` as fp32 into `out` (`range.count × columns`).
    public func widenRows(_ range: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        let count = range.count * columns
        let start = range.lowerBound * columns
        switch storage {
        case .f32:
            UnsafeMutableRawPointer(out).copyMemory(from: base + start * 4, byteCount: count * 4)
        case .bf16:
            let p = base + start * 2
            Parallel.forEach((count + 65535) / 65536) { c in
                for i in (c * 65536)..<min(count, (c + 1) * 65536) {
                    out[i] = Float(bitPattern: UInt32(p.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16)
                }
            }
        case .f16:
            let p = base + start * 2
            Parallel.forEach((count + 65535) / 65536) { c in
                for i in (c * 65536)..<min(count, (c + 1) * 65536) {
                    out[i] = HalfPrecision.toFloat(p.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                }
            }
        }
    }

    /// Every element as fp32 (for tests and small matrices).
    public func floats() -> [Float] {
        [Float](unsafeUninitializedCapacity: rows * columns) { buf, n in
            if let b = buf.baseAddress { widenRows(0..<rows, into: b) }
            n = rows * columns
        }
    }
}

/// An owned, 64-byte aligned fp32 buffer.
public final class FloatBuffer: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int

    public init(count: Int) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { if let b = $0.baseAddress { pointer.update(from: b, count: values.count) } }
    }

    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }

    deinit { pointer.deallocate() }
}

/// IEEE binary16 → fp32 (Kernels know no file formats, so they carry their own codec).
public enum HalfPrecision {
    @inline(__always)
    public static func toFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exp = UInt32(h >> 10) & 0x1F
        let mant = UInt32(h & 0x3FF)
        if exp == 0 {
            if mant == 0 { return Float(bitPattern: sign) }
            let v = Float(mant) * (1.0 / 16_777_216.0)
            return sign != 0 ? -v : v
        }
        if exp == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | (mant << 13)) }
        return Float(bitPattern: sign | ((exp + 112) << 23) | (mant << 13))
    }
}
