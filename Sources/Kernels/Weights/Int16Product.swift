import CKernels

/// y = x·W'ᵀ for int8/int4 and ggml Q8_0/Q4_0 weights on the `avx2` path (C kernel in
/// `Sources/CKernels`): each input row is quantized to int16 per block of 256 columns (scale
/// max|x|/32767, round to nearest even), the codes are widened to int16 in packed panels of 16
/// rows, and `vpmaddwd` sums column pairs into int32, exactly, one segment (≤ 256 columns, one
/// weight group) at a time; each segment's sums are scaled by input scale × weight scale in fp32.
/// The only rounding beyond the fp32 path's is the inputs' (relative 2⁻¹⁶ of a block's maximum).
/// Panels are split over threads; no fp32 copy of the weight is made. The `avx512` path runs the
/// same arithmetic on zmm registers (`vpdpwssd` with AVX512-VNNI), two panels × 12 input rows a
/// register tile, with bit-identical results.
enum Int16Product {
    /// The kernel's view of a weight in stored row order, or nil when the kernel cannot take it
    /// (float or row-decoded storage, a group that straddles activation blocks, a row-order view).
    static func codeRows(_ w: WeightMatrix) -> vlm_code_rows? {
        guard var rows = w.kernelCodeRows else { return nil }
        return vlm_i16_supports(&rows) == 1 ? rows : nil
    }

    /// y[i·ldy + r] for i < n, r < rows (overwritten), by `kernel` (default: the active path's).
    static func apply(_ codes: vlm_code_rows, _ x: UnsafePointer<Float>, count n: Int,
                      into y: UnsafeMutablePointer<Float>, ldy: Int, kernel: IntegerProductKernel = .active) {
        let columns = Int64(codes.columns), rows = Int64(n)
        let layout = withUnsafePointer(to: codes) { w in
            PanelProductDriver.Layout(tile: Int(VLM_I16_TILE), panels: (Int(codes.rows) + Int(VLM_I16_PANEL) - 1) / Int(VLM_I16_PANEL),
                                      packedInputBytes: Int(vlm_i16_packed_input_count(rows, columns)) * 2,
                                      packedScaleCount: Int(vlm_i16_packed_scale_count(rows, columns)),
                                      scratchBytes: Int(kernel.isAVX512 ? vlm_i16_scratch_bytes_avx512(w) : vlm_i16_scratch_bytes(w)),
                                      panelStep: kernel.isAVX512 ? 2 : 1)
        }
        PanelProductDriver.run(inputs: n, layout, packInputs: { q, scales, r0, r1 in
            vlm_i16_pack_inputs_avx2(x, columns, rows, columns, Int64(r0), Int64(r1), q.assumingMemoryBound(to: Int16.self), scales)
        }, product: { q, scales, p0, p1, scratch in
            withUnsafePointer(to: codes) { w in
                let packed = q.assumingMemoryBound(to: Int16.self)
                if kernel.isAVX512 {
                    vlm_i16_product_avx512(w, Int64(p0), Int64(p1), packed, scales, rows, y, Int64(ldy), scratch, kernel.vnniFlag)
                } else {
                    vlm_i16_product_avx2(w, Int64(p0), Int64(p1), packed, scales, rows, y, Int64(ldy), scratch)
                }
            }
        })
    }
}
