import Kernels
import ModelGraph
import TensorFormats

/// Writes one tensor's int8 or int4 sections (`WeightQuantizer`'s layout) a tile of rows at a
/// time, so that no fp32 copy larger than a row per thread exists: rows are decoded from the
/// mapped checkpoint (f32, f16 or bf16) or read from values a pass computed, quantized, and the
/// data tile handed to `append` (hashing and writing) while the next tile is quantized on the
/// other threads. Scales and zero points (1/16 of the data or less) are appended at the end.
struct QuantizedTensorStream {
    let rows: Int
    let columns: Int
    let layout: WeightQuantizer.RowLayout

    /// Bytes of data sections per tile (about 1 MB: big enough for write and hash calls to be
    /// cheap, small enough to stay in cache between quantizing and hashing).
    static let tileBytes = 1 << 20

    init(rows: Int, columns: Int, scheme: QuantScheme, method: Int4Method = .roundToNearest, importance: [Float]? = nil) {
        self.rows = rows
        self.columns = columns
        layout = WeightQuantizer.RowLayout(columns: columns, scheme: scheme, method: method, importance: importance)
    }

    /// Where rows come from.
    enum Rows {
        /// A dense float tensor's bytes (row-major, possibly unaligned), decoded row by row.
        case encoded(TensorData, DType)
        /// fp32 values in memory (computed by a pass, or decoded from an encoding rows cannot be read from).
        case values([Float])
    }

    /// The section a run of bytes belongs to.
    enum Part { case data, scales, zeros }

    /// Quantizes every row and hands the sections' bytes to `append`, in order (data in tiles,
    /// then scales, then zeros); returns what the quantizer saw, for the range checks.
    func write(_ source: Rows, append: (Part, UnsafeRawBufferPointer) throws -> Void) throws -> QuantizationStats {
        let scales = UnsafeMutableRawBufferPointer.allocate(byteCount: max(rows * layout.scaleBytes, 1), alignment: 16)
        let zeros = UnsafeMutableRawBufferPointer.allocate(byteCount: max(rows * layout.zeroBytes, 1), alignment: 16)
        defer { scales.deallocate(); zeros.deallocate() }
        let tileRows = max(1, min(rows, QuantizedTensorStream.tileBytes / max(layout.dataBytes, 1)))
        let tileCount = (rows + tileRows - 1) / tileRows
        // Two data tiles: one being appended while the next is quantized.
        let tiles = UnsafeMutableRawBufferPointer.allocate(byteCount: max(2 * tileRows * layout.dataBytes, 1), alignment: 64)
        defer { tiles.deallocate() }
        // Odd int4 groups or-in high nibbles, so their bytes start from zero.
        let zeroFirst: Bool
        if case .int4(let group, _) = layout.scheme { zeroFirst = group % 2 == 1 } else { zeroFirst = false }

        // Tasks per tile: enough row chunks to balance the threads, plus appending the previous tile.
        let threads = Parallel.threadCount
        let chunksPerTile = threads > 1 ? min(tileRows, 4 * threads) : 1
        var stats = QuantizationStats()
        let chunkStats = UnsafeMutableBufferPointer<QuantizationStats>.allocate(capacity: chunksPerTile)
        defer { chunkStats.deallocate() }
        var appendError: (any Error)?
        var previous: UnsafeRawBufferPointer?

        for tile in 0...tileCount {
            let r0 = tile * tileRows, r1 = min(rows, r0 + tileRows)
            let buffer = tiles.baseAddress.unsafelyUnwrapped + (tile % 2) * tileRows * layout.dataBytes
            let chunks = tile < tileCount ? chunksPerTile : 0
            if chunks > 0 && zeroFirst { buffer.initializeMemory(as: UInt8.self, repeating: 0, count: (r1 - r0) * layout.dataBytes) }
            chunkStats.initialize(repeating: QuantizationStats())
            let pending = previous
            let tasks = (pending == nil ? 0 : 1) + chunks
            let box = UncheckedSendable((chunkStats, buffer))
            Parallel.forEachClaimed(tasks) { task in
                if let pending, task == 0 {
                    do { try append(.data, pending) } catch { appendError = error }
                    return
                }
                let chunk = task - (pending == nil ? 0 : 1)
                let c0 = r0 + (r1 - r0) * chunk / chunks, c1 = r0 + (r1 - r0) * (chunk + 1) / chunks
                guard c1 > c0 else { return }
                box.value.0[chunk] = quantize(source, rows: c0..<c1, data: box.value.1 + (c0 - r0) * layout.dataBytes,
                                              scales: scales.baseAddress.unsafelyUnwrapped, zeros: zeros.baseAddress.unsafelyUnwrapped)
            }
            if let appendError { throw appendError }
            for c in 0..<chunks { stats.merge(chunkStats[c]) }
            if case .encoded(let data, let dtype) = source, chunks > 0 {
                // Drop the tile's source pages from the resident set (they stay in the page cache).
                data.releaseResidentPages(bytes: (r0 * columns * dtype.byteSize)..<(r1 * columns * dtype.byteSize))
            }
            previous = chunks > 0 ? UnsafeRawBufferPointer(start: buffer, count: (r1 - r0) * layout.dataBytes) : nil
        }
        if layout.scaleBytes > 0 { try append(.scales, UnsafeRawBufferPointer(start: scales.baseAddress, count: rows * layout.scaleBytes)) }
        if layout.zeroBytes > 0 { try append(.zeros, UnsafeRawBufferPointer(start: zeros.baseAddress, count: rows * layout.zeroBytes)) }
        return stats
    }

    /// Quantizes `range` of the rows into a tile (`data`: the first row's place) and the whole
    /// tensor's scales and zeros.
    private func quantize(_ source: Rows, rows range: Range<Int>, data: UnsafeMutableRawPointer,
                          scales: UnsafeMutableRawPointer, zeros: UnsafeMutableRawPointer) -> QuantizationStats {
        let scaleAt = scales + range.lowerBound * layout.scaleBytes, zeroAt = zeros + range.lowerBound * layout.zeroBytes
        switch source {
        case .values(let values):
            return values.withUnsafeBufferPointer { v in
                WeightQuantizer.quantizeRows(v.baseAddress.unsafelyUnwrapped + range.lowerBound * columns, rows: range.count,
                                             layout: layout, data: data, scales: scaleAt, zeros: zeroAt)
            }
        case .encoded(let tensor, let dtype):
            // One fp32 row at a time (a row of the largest decoder matrices is 32–64 KB).
            let row = UnsafeMutablePointer<Float>.allocate(capacity: max(columns, 1))
            defer { row.deallocate() }
            if dtype == .bf16, let base = tensor.bytes.baseAddress {
                return WeightQuantizer.quantizeRows(bf16: base + 2 * range.lowerBound * columns, rows: range.count, layout: layout,
                                                    data: data, scales: scaleAt, zeros: zeroAt, scratch: row)
            }
            var stats = QuantizationStats()
            for (i, r) in range.enumerated() {
                DenseCodec.decode(tensor.bytes, dtype: dtype, first: r * columns, count: columns, into: row)
                stats.merge(WeightQuantizer.quantizeRows(row, rows: 1, layout: layout, data: data + i * layout.dataBytes,
                                                         scales: scaleAt + i * layout.scaleBytes, zeros: zeroAt + i * layout.zeroBytes))
            }
            return stats
        }
    }
}
