/// Reads the rows of an int8 or int4 `WeightMatrix` as the exact pinned W' values:
/// int8 W' = q · s (float32 s); int4 W' = (nibble − offset) · float32(s16), where offset is 8
/// (symmetric) or the group's zero point (asymmetric). Every product is one float32 multiply
/// of two exact factors, so the values are identical on every path that uses this reader.
struct QuantizedRows: @unchecked Sendable {
    let columns: Int
    let codes: UnsafeRawPointer
    let scales: UnsafeRawPointer
    let zeros: UnsafeRawPointer?
    /// Columns per scale: `columns` for int8 (one group per row), G for int4.
    let group: Int
    let groupsPerRow: Int
    /// Bytes per row of codes.
    let rowStride: Int
    let isInt8: Bool

    /// nil for float storage.
    init?(_ w: WeightMatrix) {
        guard let scales = w.scales else { return nil }
        columns = w.columns
        codes = w.base
        self.scales = scales
        switch w.storage {
        case .int8:
            isInt8 = true
            group = max(w.columns, 1)
            groupsPerRow = 1
            rowStride = w.columns
            zeros = nil
        case .int4(let g, let asymmetric):
            isInt8 = false
            group = g
            groupsPerRow = (w.columns + g - 1) / g
            rowStride = (w.columns + 1) / 2
            zeros = asymmetric ? w.zeros : nil
        case .f32, .f16, .bf16, .ggmlQ8_0, .ggmlQ4_0, .rowDecoded:
            return nil
        }
    }

    /// True when the direct kernel reads int4 codes 16 columns (8 bytes) at a time: every full
    /// block of 16 columns lies inside one group, and its inputs are deinterleaved (evens, then
    /// odds) to match the low and high nibbles.
    var deinterleavesBlocks: Bool { !isInt8 && group % 16 == 0 }

    /// The float32 scale of a group (int8: of the row).
    @inline(__always)
    func scale(row r: Int, group g: Int) -> Float {
        if isInt8 { return Float(bitPattern: UInt32(littleEndian: scales.loadUnaligned(fromByteOffset: 4 * r, as: UInt32.self))) }
        return HalfPrecision.toFloat(UInt16(littleEndian: scales.loadUnaligned(fromByteOffset: 2 * (r * groupsPerRow + g), as: UInt16.self)))
    }

    /// What is subtracted from an int4 nibble to get q − z: 8 (symmetric) or the zero point.
    @inline(__always)
    func offset(row r: Int, group g: Int) -> Float {
        guard let zeros else { return 8 }
        return Float(zeros.load(fromByteOffset: r * groupsPerRow + g, as: UInt8.self))
    }

    /// Writes row `r`'s `columns` W' values to `out`.
    func widen(row r: Int, into out: UnsafeMutablePointer<Float>) {
        let row = codes + r * rowStride
        if isInt8 {
            let s = scale(row: r, group: 0)
            let q = row.assumingMemoryBound(to: Int8.self)
            for j in 0..<columns { out[j] = Float(q[j]) * s }
            return
        }
        let bytes = row.assumingMemoryBound(to: UInt8.self)
        for g in 0..<groupsPerRow {
            let s = scale(row: r, group: g), off = offset(row: r, group: g)
            let c1 = min(columns, (g + 1) * group)
            var j = g * group
            if j & 1 == 1 {
                out[j] = (Float(bytes[j >> 1] >> 4) - off) * s
                j += 1
            }
            while j + 16 <= c1 {
                // 8 bytes → 16 values: low nibbles to the even columns, high to the odd ones.
                let b = row.loadUnaligned(fromByteOffset: j >> 1, as: SIMD8<UInt8>.self)
                var v = SIMD16<Float>()
                v.evenHalf = (SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: b & 0x0F)) - off) * s
                v.oddHalf = (SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: b &>> 4)) - off) * s
                UnsafeMutableRawPointer(out + j).storeBytes(of: v, as: SIMD16<Float>.self)
                j += 16
            }
            while j + 1 < c1 {
                let b = bytes[j >> 1]
                out[j] = (Float(b & 0x0F) - off) * s
                out[j + 1] = (Float(b >> 4) - off) * s
                j += 2
            }
            if j < c1 { out[j] = (Float(bytes[j >> 1] & 0x0F) - off) * s }
        }
    }

    /// Visits row `r`'s W' values in column order: `block(w, p)` for 8 values that pair with the
    /// 8 inputs at `p…p+7` of the (for int4 with `deinterleavesBlocks`, deinterleaved) input
    /// row, `single(w, p)` for one value paired with input `p`.
    @inline(__always)
    func forEachValue(row r: Int, _ block: (SIMD8<Float>, Int) -> Void, _ single: (Float, Int) -> Void) {
        let row = codes + r * rowStride
        if isInt8 {
            let s = scale(row: r, group: 0)
            var c = 0
            while c + 8 <= columns {
                let q = row.loadUnaligned(fromByteOffset: c, as: SIMD8<Int8>.self)
                block(SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: q)) * s, c)
                c += 8
            }
            while c < columns {
                single(Float(row.load(fromByteOffset: c, as: Int8.self)) * s, c)
                c += 1
            }
            return
        }
        let blocks = deinterleavesBlocks
        for g in 0..<groupsPerRow {
            let s = scale(row: r, group: g), off = offset(row: r, group: g)
            let c1 = min(columns, (g + 1) * group)
            var c = g * group
            if blocks {
                while c + 16 <= c1 {
                    let b = row.loadUnaligned(fromByteOffset: c >> 1, as: SIMD8<UInt8>.self)
                    let low = SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: b & 0x0F))
                    let high = SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: b &>> 4))
                    block((low - off) * s, c)
                    block((high - off) * s, c + 8)
                    c += 16
                }
            }
            while c < c1 {
                let b = row.load(fromByteOffset: c >> 1, as: UInt8.self)
                single((Float(c & 1 == 0 ? b & 0x0F : b >> 4) - off) * s, c)
                c += 1
            }
        }
    }
}
