/// A linear layer's weight `W[rows = out, columns = in]` in whatever storage it came in.
/// Layers ask it for `y = x·Wᵀ`; the storage picks the kernel. 16-bit and quantized weights are
/// widened to fp32 a tile of rows at a time (quantized ones to exactly the pinned W' values), so
/// no full fp32 copy of the matrix is ever made; a few input rows against int8/int4 or ggml
/// Q8_0/Q4_0 storage go through a direct kernel that decodes the codes in registers, and more
/// rows on the `avx2` path (`KernelISA`) through the int16 integer product (`Int16Product`). A view may
/// put the stored rows in another order (`reorderingRows(_:)`) without copying them.
public struct WeightMatrix: @unchecked Sendable {
    /// How the elements are stored (the bundle's quantized layouts are described at
    /// `QuantizedBytes`, ggml's at `GGMLBlockRows`).
    public enum Storage: Sendable, Hashable {
        case f32, f16, bf16
        /// Int8 codes row-major, one float32 scale per row.
        case int8
        /// 4-bit codes two per byte, one float16 scale (and, asymmetric, one zero point) per
        /// `group` consecutive columns of a row.
        case int4(group: Int, asymmetric: Bool)
        /// llama.cpp Q8_0 blocks read in place: per row, columns/32 blocks of 34 bytes (float16
        /// d, then 32 int8 q; value q·d). Columns must be a multiple of 32.
        case ggmlQ8_0
        /// llama.cpp Q4_0 blocks read in place: per row, columns/32 blocks of 18 bytes (float16
        /// d, then 16 bytes of nibbles; value (nibble − 8)·d). Columns must be a multiple of 32.
        case ggmlQ4_0
        /// Any other row layout: rows of `decoder.bytesPerRow` bytes, each widened to fp32 by
        /// the decoder (always through the widening path).
        case rowDecoded(RowDecoder)

        /// True exactly for the bundle's integer schemes (int8, int4): the codes in `base` need
        /// the separate `scales` (and `zeros`) sections, and the storage round-trips to a
        /// `QuantScheme`. False for float storage and for ggml blocks and row-decoded layouts,
        /// which carry their scales inline and are not bundle schemes, even though they are
        /// quantized too.
        public var isQuantized: Bool {
            switch self {
            case .int8, .int4: return true
            case .f32, .f16, .bf16, .ggmlQ8_0, .ggmlQ4_0, .rowDecoded: return false
            }
        }
    }

    public let rows: Int
    public let columns: Int
    public let storage: Storage
    /// Little-endian elements (or codes), row-major; may be unaligned for 16-bit storage.
    public let base: UnsafeRawPointer
    /// Quantized storage: the scale section (float32 per row for int8, float16 per group for int4).
    public let scales: UnsafeRawPointer?
    /// Asymmetric int4 storage: the zero-point section (one byte per group).
    public let zeros: UnsafeRawPointer?
    /// Logical row i is stored row `rowOrder[i]` (nil: as stored); see `reorderingRows(_:)`.
    public let rowOrder: [Int]?
    /// How inputs meet this weight when it is 4-bit, unless the process overrides it
    /// (`Int4Inputs.active(preferring:)`): its bundle's `--int4-inputs`, else `int16`.
    public var preferredInputs: Int4Inputs = .int16
    let owner: AnyObject?

    /// Wraps memory kept alive by `owner` (a mapped file or a buffer).
    public init(rows: Int, columns: Int, storage: Storage, base: UnsafeRawPointer, owner: AnyObject?) {
        self.init(rows: rows, columns: columns, storage: storage, base: base, scales: nil, zeros: nil, owner: owner)
    }

    /// Wraps the sections of any storage, kept alive by `owner`: `scales` is required for int8
    /// and int4, `zeros` for asymmetric int4; both are ignored for every other storage.
    public init(rows: Int, columns: Int, storage: Storage, base: UnsafeRawPointer,
                scales: UnsafeRawPointer?, zeros: UnsafeRawPointer?, owner: AnyObject?) {
        switch storage {
        case .f32, .f16, .bf16, .rowDecoded:
            break
        case .ggmlQ8_0, .ggmlQ4_0:
            precondition(columns % GGMLBlockRows.blockColumns == 0, "WeightMatrix: ggml block rows need a multiple of 32 columns")
        case .int8:
            precondition(scales != nil, "WeightMatrix: int8 storage needs scales")
        case .int4(let group, let asymmetric):
            precondition(group > 0, "WeightMatrix: int4 group size \(group) is not positive")
            precondition(scales != nil, "WeightMatrix: int4 storage needs scales")
            precondition(!asymmetric || zeros != nil, "WeightMatrix: asymmetric int4 storage needs zero points")
        }
        self.rows = rows
        self.columns = columns
        self.storage = storage
        self.base = base
        self.scales = storage.isQuantized ? scales : nil
        self.zeros = storage.isQuantized ? zeros : nil
        self.rowOrder = nil
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
        if let rowOrder {
            applyReordered(rowOrder, x, count: n, into: y, ldy: ld)
        } else {
            applyInStoredOrder(x, count: n, into: y, ldy: ld)
        }
        if let bias {
            precondition(bias.count == rows, "bias length does not match weight rows")
            for i in 0..<n { let row = y + i * ld; for j in 0..<rows { row[j] += bias[j] } }
        }
    }

    /// y = x·Wᵀ in stored row order, by the kernel `kernel(forInputs: n)` picks. A new kernel is
    /// a new case there (with its row-independence stated), so the segmented `apply` sees it too.
    func applyInStoredOrder(_ x: UnsafePointer<Float>, count n: Int, into y: UnsafeMutablePointer<Float>, ldy ld: Int) {
        switch kernel(forInputs: n) {
        case .sgemm:
            BLAS.sgemm(.no, .yes, m: n, n: rows, k: columns, a: x, lda: columns,
                       b: base.assumingMemoryBound(to: Float.self), ldb: columns, c: y, ldc: ld)
        case .direct:
            applyDirect(x, count: n, into: y, ldy: ld)
        case .int8Inputs(let codes):
            Int8InputProduct.apply(codes, x, count: n, into: y, ldy: ld)
        case .roundedInt8Inputs:
            let rounded = Int8InputProduct.roundedInputs(x, count: n, columns: columns)
            rounded.withUnsafeBufferPointer { r in
                if let r = r.baseAddress { applyByWidening(r, count: n, into: y, ldy: ld) }
            }
        case .int16(let codes):
            Int16Product.apply(codes, x, count: n, into: y, ldy: ld)
        case .widening:
            applyByWidening(x, count: n, into: y, ldy: ld)
        }
    }

    /// y = x·Wᵀ through fp32 tiles of rows (about 4 MB each) and sgemm; any storage. With
    /// `segments` (row counts summing to n), each tile is widened once and multiplied into each
    /// segment by its own sgemm, so every segment gets the bits of a call over it alone.
    func applyByWidening(_ x: UnsafePointer<Float>, count n: Int, segments: [Int]? = nil, into y: UnsafeMutablePointer<Float>, ldy ld: Int) {
        let tile = max(1, min(rows, (1 << 20) / max(columns, 1)))
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: tile * columns)
        defer { scratch.deallocate() }
        var r0 = 0
        while r0 < rows {
            let r1 = min(rows, r0 + tile)
            widenRows(r0..<r1, into: scratch)
            var i0 = 0
            for m in segments ?? [n] {
                BLAS.sgemm(.no, .yes, m: m, n: r1 - r0, k: columns, a: x + i0 * columns, lda: columns, b: scratch, ldb: columns,
                           c: y + i0 * ld + r0, ldc: ld)
                i0 += m
            }
            r0 = r1
        }
    }

    /// y = x·Wᵀ by the direct kernel of int8/int4 or ggml Q8_0/Q4_0 storage (any n); other
    /// storage falls back to widening. Stored row order only (views go through `apply`).
    func applyDirect(_ x: UnsafePointer<Float>, count n: Int, into y: UnsafeMutablePointer<Float>, ldy ld: Int) {
        precondition(rowOrder == nil, "WeightMatrix.applyDirect runs in stored row order")
        if let codes = QuantizedRows(self) {
            QuantizedDirectProduct.apply(codes, rows: rows, x, count: n, into: y, ldy: ld)
        } else if GGMLDirectProduct.isAvailable, let blocks = GGMLBlockRows(self) {
            GGMLDirectProduct.apply(blocks, rows: rows, x, count: n, into: y, ldy: ld)
        } else {
            applyByWidening(x, count: n, into: y, ldy: ld)
        }
    }

    /// Copies (logical) rows `range` as fp32 into `out` (`range.count × columns`).
    public func widenRows(_ range: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        if let rowOrder {
            widenReordered(rowOrder, range, into: out)
            return
        }
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
        case .int8, .int4:
            guard let codes = QuantizedRows(self) else { return }
            Parallel.forEach(range.count) { i in
                codes.widen(row: range.lowerBound + i, into: out + i * columns)
            }
        case .ggmlQ8_0, .ggmlQ4_0:
            guard let blocks = GGMLBlockRows(self) else { return }
            Parallel.forEach(range.count) { i in
                blocks.widen(row: range.lowerBound + i, into: out + i * columns)
            }
        case .rowDecoded(let decoder):
            Parallel.forEach(range.count) { i in
                decoder.decode(base + (range.lowerBound + i) * decoder.bytesPerRow, out + i * columns)
            }
        }
    }

    /// Every element as fp32, rows in logical order (for tests and small matrices).
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
