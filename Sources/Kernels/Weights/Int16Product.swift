import CKernels

/// y = x·W'ᵀ for int8/int4 and ggml Q8_0/Q4_0 weights on the `avx2` path (C kernel in
/// `Sources/CKernels`): each input row is quantized to int16 per block of 256 columns (scale
/// max|x|/32767, round to nearest even), the codes are widened to int16 in packed panels of 16
/// rows, and `vpmaddwd` sums column pairs into int32, exactly, one segment (≤ 256 columns, one
/// weight group) at a time; each segment's sums are scaled by input scale × weight scale in fp32.
/// The only rounding beyond the fp32 path's is the inputs' (relative 2⁻¹⁶ of a block's maximum).
/// Panels are split over threads; no fp32 copy of the weight is made.
enum Int16Product {
    /// The kernel's view of a weight in stored row order, or nil when the kernel cannot take it
    /// (float or row-decoded storage, a group that straddles activation blocks, a row-order view).
    static func codeRows(_ w: WeightMatrix) -> vlm_code_rows? {
        guard w.rowOrder == nil else { return nil }
        var rows = vlm_code_rows()
        rows.rows = Int64(w.rows)
        rows.columns = Int64(w.columns)
        rows.codes = w.base
        rows.row_order = nil
        switch w.storage {
        case .int8:
            rows.kind = Int32(VLM_CODES_INT8)
            rows.row_bytes = Int64(w.columns)
            rows.scales = w.scales
            rows.group = Int64(w.columns)
        case .int4(let group, _):
            rows.kind = Int32(VLM_CODES_INT4)
            rows.row_bytes = Int64((w.columns + 1) / 2)
            rows.scales = w.scales
            rows.zeros = w.zeros?.assumingMemoryBound(to: UInt8.self)
            rows.group = Int64(group)
        case .ggmlQ8_0:
            rows.kind = Int32(VLM_CODES_GGML_Q8_0)
            rows.row_bytes = Int64(w.columns / 32 * 34)
            rows.group = 32
        case .ggmlQ4_0:
            rows.kind = Int32(VLM_CODES_GGML_Q4_0)
            rows.row_bytes = Int64(w.columns / 32 * 18)
            rows.group = 32
        case .f32, .f16, .bf16, .rowDecoded:
            return nil
        }
        return vlm_i16_supports(&rows) == 1 ? rows : nil
    }

    /// y[i·ldy + r] for i < n, r < rows (overwritten).
    static func apply(_ codes: vlm_code_rows, _ x: UnsafePointer<Float>, count n: Int,
                      into y: UnsafeMutablePointer<Float>, ldy: Int) {
        let columns = Int(codes.columns)
        let tile = Int(VLM_I16_TILE), panel = Int(VLM_I16_PANEL)
        let packed = UnsafeMutableRawPointer.allocate(
            byteCount: max(1, Int(vlm_i16_packed_input_count(Int64(n), Int64(columns)))) * 2, alignment: 64)
        let scales = UnsafeMutablePointer<Float>.allocate(capacity: max(1, Int(vlm_i16_packed_scale_count(Int64(n), Int64(columns)))))
        defer { packed.deallocate(); scales.deallocate() }
        let q = packed.bindMemory(to: Int16.self, capacity: 1)

        let tiles = (n + tile - 1) / tile
        let inputChunks = min(Parallel.threadCount, tiles)
        Parallel.forEach(inputChunks) { c in
            let t0 = tiles * c / inputChunks, t1 = tiles * (c + 1) / inputChunks
            vlm_i16_pack_inputs_avx2(x, Int64(columns), Int64(n), Int64(columns),
                                     Int64(t0 * tile), Int64(min(n, t1 * tile)), q, scales)
        }

        // Threads claim runs of panels (about 8 per thread), so that one that loses its core on a
        // shared machine does fewer, rather than holding the others up at the end.
        let panels = (Int(codes.rows) + panel - 1) / panel
        let threads = min(Parallel.threadCount, panels)
        let run = threads <= 1 ? panels : max(1, panels / (threads * 8))
        let runs = (panels + run - 1) / run
        let scratchBytes = Int(withUnsafePointer(to: codes) { vlm_i16_scratch_bytes($0) })
        Parallel.forEachClaimed(runs, state: { FloatBuffer(count: (scratchBytes + 3) / 4) }) { scratch, c in
            let p0 = c * run, p1 = min(panels, p0 + run)
            withUnsafePointer(to: codes) { w in
                vlm_i16_product_avx2(w, Int64(p0), Int64(p1), q, scales, Int64(n), y, Int64(ldy), UnsafeMutableRawPointer(scratch.pointer))
            }
        }
    }
}
