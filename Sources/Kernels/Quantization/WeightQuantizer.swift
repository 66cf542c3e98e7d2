/// Quantizes fp32 weight matrices into the v1 storage layout (see `QuantizedBytes`), rows in
/// parallel. The values a `WeightMatrix` reads back are exactly the pinned W' formulas.
public enum WeightQuantizer {
    /// Quantizes a row-major fp32 matrix into the v1 storage layout (passthrough casts for
    /// f32/f16/bf16, rounded to nearest even: scales/zeros empty).
    public static func quantize(_ w: UnsafeBufferPointer<Float>, rows: Int, columns: Int, scheme: QuantScheme) -> QuantizedBytes {
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
                    fill(src, rows: rows, columns: columns, scheme: scheme, data: dataBase, scales: scalesBase, zeros: zerosBase)
                }
            }
        }
        return QuantizedBytes(data: data, scales: scales, zeros: zeros)
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
                             data: UnsafeMutablePointer<UInt8>, scales: UnsafeMutablePointer<UInt8>, zeros: UnsafeMutablePointer<UInt8>) {
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
        case .int8:
            let codes = raw.bindMemory(to: Int8.self, capacity: rows * columns)
            Parallel.forEach(rows) { r in
                let s = QuantizationFormulas.int8Row(src + r * columns, columns: columns, codes: codes + r * columns)
                UnsafeMutableRawPointer(scales).storeBytes(of: s.bitPattern.littleEndian, toByteOffset: 4 * r, as: UInt32.self)
            }
        case .int4(let group, let asymmetric):
            let stride = (columns + 1) / 2
            let groupsPerRow = (columns + group - 1) / group
            Parallel.forEach(rows) { r in
                QuantizationFormulas.int4Row(src + r * columns, columns: columns, group: group, packed: data + r * stride,
                                             scales: UnsafeMutableRawPointer(scales + 2 * r * groupsPerRow),
                                             zeros: asymmetric ? zeros + r * groupsPerRow : nil)
            }
        }
    }
}
