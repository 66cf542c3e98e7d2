/// Quantizes fp32 weight matrices into the v1 storage layout (see `QuantizedBytes`), rows in
/// parallel. The values a `WeightMatrix` reads back are exactly the pinned W' formulas.
public enum WeightQuantizer {
    /// Quantizes a row-major fp32 matrix into the v1 storage layout (passthrough casts for
    /// f32/f16/bf16, rounded to nearest even: scales/zeros empty).
    ///
    /// `method` and `importance` (one weight per column) choose how int4 groups are coded
    /// (`Int4Method`); other schemes ignore them.
    public static func quantize(_ w: UnsafeBufferPointer<Float>, rows: Int, columns: Int, scheme: QuantScheme,
                                method: Int4Method = .roundToNearest, importance: [Float]? = nil) -> QuantizedBytes {
        precondition(rows >= 0 && columns >= 0 && w.count == rows * columns,
                     "WeightQuantizer: \(w.count) values for a \(rows)×\(columns) matrix")
        let sizes = sectionSizes(rows: rows, columns: columns, scheme: scheme)
        guard let src = w.baseAddress, rows * columns > 0 else {
            return QuantizedBytes(data: [UInt8](repeating: 0, count: sizes.data),
                                  scales: [UInt8](repeating: 0, count: sizes.scales),
                                  zeros: [UInt8](repeating: 0, count: sizes.zeros))
        }
        var scales: [UInt8] = [], zeros: [UInt8] = []
        let data = filled(sizes.data) { dataBase in
            scales = filled(sizes.scales) { scalesBase in
                zeros = filled(sizes.zeros) { zerosBase in
                    fill(src, rows: rows, columns: columns, scheme: scheme, method: method, importance: importance,
                         data: dataBase, scales: scalesBase, zeros: zerosBase)
                }
            }
        }
        return QuantizedBytes(data: data, scales: scales, zeros: zeros)
    }

    /// Byte sizes of the three sections for a shape, or nil when a size overflows `Int` or the
    /// shape is negative (for readers checking a file's claims before using them).
    public static func checkedSectionSizes(rows: Int, columns: Int, scheme: QuantScheme) -> (data: Int, scales: Int, zeros: Int)? {
        guard rows >= 0, columns >= 0 else { return nil }
        func mul(_ a: Int, _ b: Int) -> Int? { let (r, o) = a.multipliedReportingOverflow(by: b); return o ? nil : r }
        guard let count = mul(rows, columns) else { return nil }
        switch scheme {
        case .f32: return mul(count, 4).map { ($0, 0, 0) }
        case .f16, .bf16: return mul(count, 2).map { ($0, 0, 0) }
        case .int8: return mul(rows, 4).map { (count, $0, 0) }
        case .int4(let group, let asymmetric):
            guard group > 0 else { return nil }
            let perRow = columns / group + (columns % group == 0 ? 0 : 1)
            guard let groups = mul(rows, perRow), let scales = mul(groups, 2),
                  let data = mul(rows, columns / 2 + columns % 2) else { return nil }
            return (data, scales, asymmetric ? groups : 0)
        }
    }

    /// Byte sizes of the three sections for a shape (for writers that stream).
    public static func sectionSizes(rows: Int, columns: Int, scheme: QuantScheme) -> (data: Int, scales: Int, zeros: Int) {
        let count = rows * columns
        switch scheme {
        case .f32: return (count * 4, 0, 0)
        case .f16, .bf16: return (count * 2, 0, 0)
        case .int8: return (count, rows * 4, 0)
        case .int4(let group, let asymmetric):
            precondition(group > 0, "WeightQuantizer: int4 group size \(group) is not positive")
            let groups = rows * ((columns + group - 1) / group)
            return (rows * ((columns + 1) / 2), groups * 2, asymmetric ? groups : 0)
        }
    }

    /// A byte array of `count` elements written by `body` (which must write every byte).
    private static func filled(_ count: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Void) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            // Zeroed first so an empty section (nil base address) needs no special case.
            if let base = buffer.baseAddress {
                base.initialize(repeating: 0, count: count)
                body(base)
            } else {
                var none: UInt8 = 0
                body(&none)
            }
            initialized = count
        }
    }

    /// Writes every row's sections; rows are independent and run in parallel.
    private static func fill(_ src: UnsafePointer<Float>, rows: Int, columns: Int, scheme: QuantScheme,
                             method: Int4Method, importance: [Float]?, data: UnsafeMutablePointer<UInt8>, scales: UnsafeMutablePointer<UInt8>, zeros: UnsafeMutablePointer<UInt8>) {
        let raw = UnsafeMutableRawPointer(data)
        switch scheme {
        case .f32:
            raw.copyMemory(from: src, byteCount: rows * columns * 4)  // little-endian hosts only (as the readers)
        case .f16:
            Parallel.forEach(rows) { r in
                for j in (r * columns)..<((r + 1) * columns) {
                    raw.storeBytes(of: HalfPrecision.fromFloat(src[j]).littleEndian, toByteOffset: 2 * j, as: UInt16.self)
                }
            }
        case .bf16:
            Parallel.forEach(rows) { r in
                for j in (r * columns)..<((r + 1) * columns) {
                    raw.storeBytes(of: BrainFloat16.fromFloat(src[j]).littleEndian, toByteOffset: 2 * j, as: UInt16.self)
                }
            }
        case .int8, .int4:
            let layout = RowLayout(columns: columns, scheme: scheme, method: method, importance: importance)
            Parallel.forEach(rows) { r in
                _ = quantizeRows(src + r * columns, rows: 1, layout: layout, data: raw + r * layout.dataBytes,
                                 scales: UnsafeMutableRawPointer(scales + r * layout.scaleBytes),
                                 zeros: zeros + r * layout.zeroBytes)
            }
        }
    }

    /// Bytes one row takes in each section of an integer scheme, and how its int4 groups are coded.
    public struct RowLayout: Sendable, Equatable {
        public let columns: Int
        public let scheme: QuantScheme
        public let dataBytes: Int
        public let scaleBytes: Int
        public let zeroBytes: Int
        /// How int4 groups choose their scales (ignored by int8).
        public let method: Int4Method
        /// One weight per column for `Int4Method.importance` (calibration's mean x² of that input).
        public let importance: [Float]?

        /// - Precondition: `scheme` is int8 or int4; `importance`, when given, has `columns` values.
        public init(columns: Int, scheme: QuantScheme, method: Int4Method = .roundToNearest, importance: [Float]? = nil) {
            precondition(scheme.isQuantized, "WeightQuantizer.RowLayout: \(scheme.name) is not an integer scheme")
            precondition(importance == nil || importance?.count == columns, "WeightQuantizer.RowLayout: importance for \(importance?.count ?? 0) of \(columns) columns")
            let sizes = WeightQuantizer.sectionSizes(rows: 1, columns: columns, scheme: scheme)
            self.columns = columns
            self.scheme = scheme
            self.method = method
            self.importance = importance
            (dataBytes, scaleBytes, zeroBytes) = sizes
        }

        /// True when int4 groups are coded by a searched method rather than the range formula.
        var searched: Bool {
            if case .int4 = scheme { return method != .roundToNearest }
            return false
        }
    }

    /// `quantizeRows` for rows stored as bfloat16 (little-endian, any alignment, `layout.columns`
    /// per row): symmetric int4 is quantized straight from the bf16 bits, other schemes widen each
    /// row into `scratch` (room for `layout.columns` floats) first. The same bytes as widening the
    /// rows and calling `quantizeRows`.
    public static func quantizeRows(bf16 src: UnsafeRawPointer, rows: Int, layout: RowLayout, data: UnsafeMutableRawPointer,
                                    scales: UnsafeMutableRawPointer, zeros: UnsafeMutableRawPointer?,
                                    scratch: UnsafeMutablePointer<Float>) -> QuantizationStats {
        let columns = layout.columns
        if case .int4(let group, false) = layout.scheme, !layout.searched, BFloat16RowKernels.takes(columns: columns, group: group) {
            var stats = QuantizationStats()
            for r in 0..<rows {
                BFloat16RowKernels.int4SymmetricRow(src + 2 * r * columns, columns: columns, group: group,
                                                    packed: (data + r * layout.dataBytes).bindMemory(to: UInt8.self, capacity: layout.dataBytes),
                                                    scales: scales + r * layout.scaleBytes, scratch: scratch, stats: &stats)
            }
            return stats
        }
        var stats = QuantizationStats()
        for r in 0..<rows {
            let row = src + 2 * r * columns
            for j in 0..<columns { scratch[j] = BrainFloat16.toFloat(row.loadUnaligned(fromByteOffset: 2 * j, as: UInt16.self)) }
            stats.merge(quantizeRows(scratch, rows: 1, layout: layout, data: data + r * layout.dataBytes, scales: scales + r * layout.scaleBytes,
                                     zeros: zeros.map { $0 + r * layout.zeroBytes }))
        }
        return stats
    }

    /// Quantizes `rows` consecutive rows (row-major fp32, `layout.columns` each) of an int8 or int4
    /// matrix into its sections, at `data`, `scales` and `zeros` (the first row's place in each;
    /// `zeros` is only written for asymmetric int4). Runs on the calling thread, so a streaming
    /// writer can quantize a tile of rows at a time; returns what it saw for the writer's checks.
    public static func quantizeRows(_ w: UnsafePointer<Float>, rows: Int, layout: RowLayout, data: UnsafeMutableRawPointer,
                                    scales: UnsafeMutableRawPointer, zeros: UnsafeMutableRawPointer?) -> QuantizationStats {
        var stats = QuantizationStats()
        let columns = layout.columns
        if layout.searched, case .int4(let group, _) = layout.scheme {
            let weights = UnsafeMutablePointer<Float>.allocate(capacity: max(group, 1))
            defer { weights.deallocate() }
            for r in 0..<rows {
                let row = w + r * columns
                stats.merge(.scan(row, columns))
                let packed = (data + r * layout.dataBytes).bindMemory(to: UInt8.self, capacity: layout.dataBytes)
                let z = zeros.map { ($0 + r * layout.zeroBytes).bindMemory(to: UInt8.self, capacity: layout.zeroBytes) }
                let write = { (importance: UnsafePointer<Float>?) in
                    SearchedScaleQuantizer.int4Row(row, columns: columns, group: group, importance: importance, packed: packed,
                                                   scales: scales + r * layout.scaleBytes, zeros: layout.zeroBytes > 0 ? z : nil, weights: weights)
                }
                if let importance = layout.importance { importance.withUnsafeBufferPointer { write($0.baseAddress) } } else { write(nil) }
            }
            return stats
        }
        for r in 0..<rows {
            let row = w + r * columns
            switch layout.scheme {
            case .int8:
                let codes = (data + r * layout.dataBytes).bindMemory(to: Int8.self, capacity: columns)
                let s = QuantizationKernels.int8Row(row, columns: columns, codes: codes, stats: &stats)
                scales.storeBytes(of: s.bitPattern.littleEndian, toByteOffset: 4 * r, as: UInt32.self)
            case .int4(let group, let asymmetric):
                let z = asymmetric ? zeros.map { ($0 + r * layout.zeroBytes).bindMemory(to: UInt8.self, capacity: layout.zeroBytes) } : nil
                QuantizationKernels.int4Row(row, columns: columns, group: group,
                                            packed: (data + r * layout.dataBytes).bindMemory(to: UInt8.self, capacity: layout.dataBytes),
                                            scales: scales + r * layout.scaleBytes, zeros: z, stats: &stats)
            case .f32, .f16, .bf16:
                preconditionFailure("WeightQuantizer.quantizeRows: \(layout.scheme.name) is not an integer scheme")
            }
        }
        return stats
    }
}
