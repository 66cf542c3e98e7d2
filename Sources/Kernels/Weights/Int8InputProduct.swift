import CKernels

/// y = x·W'ᵀ for 4-bit weights (vlmembed int4 in groups of a multiple of 32 columns, symmetric or
/// with zero points, and ggml Q4_0) on the `avx2` path (C kernel in `Sources/CKernels`): each
/// input row is quantized to int8 per block of 32 columns (scale max|x|/127, round to nearest
/// even, as llama.cpp's Q8_0 does), the 4-bit codes stay unsigned bytes in packed panels of 16
/// rows, and `vpmaddubsw` multiplies 32 code/input pairs a µop — twice what `vpmaddwd` does in
/// `Int16Product` — with exact integer sums per block; the codes' offset comes off exactly in fp32.
/// The rounding beyond the fp32 path's is the inputs' (at most ½·max|x|/127 of a block), below the
/// 4-bit weights' own (½·max|w|/7 of a group). Taken only for bundles converted with
/// `--int4-inputs int8` or with `VLMEMBED_INT4_INPUTS=int8` (`Int4Inputs`); then it is how 4-bit
/// weights are applied on every path: `generic` rounds the inputs the same way (`roundedInputs`)
/// before its fp32 product. Panels are split over threads; no fp32 copy of the weight is made. The
/// `avx512` path runs the same arithmetic on zmm registers (`vpdpbusd` with AVX512-VNNI), with
/// bit-identical results.
enum Int8InputProduct {
    /// The kernel's view of a 4-bit weight in stored row order, or nil when 4-bit weights do not
    /// take 8-bit inputs (`Int4Inputs.active(preferring:)` of the weight's preference is `int16`,
    /// the default) or the kernel cannot take this one (other storage, columns or groups not a
    /// multiple of 32, a row-order view).
    static func codeRows(_ w: WeightMatrix) -> vlm_code_rows? {
        guard Int4Inputs.active(preferring: w.preferredInputs) == .int8, var rows = w.kernelCodeRows else { return nil }
        return vlm_i8_supports(&rows) == 1 ? rows : nil
    }

    /// y[i·ldy + r] for i < n, r < rows (overwritten), by `kernel` (default: the active path's).
    static func apply(_ codes: vlm_code_rows, _ x: UnsafePointer<Float>, count n: Int,
                      into y: UnsafeMutablePointer<Float>, ldy: Int, kernel: IntegerProductKernel = .active) {
        let columns = Int64(codes.columns), rows = Int64(n)
        let layout = withUnsafePointer(to: codes) { w in
            PanelProductDriver.Layout(tile: Int(VLM_I8_TILE), panels: (Int(codes.rows) + Int(VLM_I8_PANEL) - 1) / Int(VLM_I8_PANEL),
                                      packedInputBytes: Int(vlm_i8_packed_input_bytes(rows, columns)),
                                      packedScaleCount: Int(vlm_i8_packed_scale_count(rows, columns)),
                                      scratchBytes: Int(kernel.isAVX512 ? vlm_i8_scratch_bytes_avx512(w) : vlm_i8_scratch_bytes(w)),
                                      panelStep: kernel.isAVX512 ? 2 : 1)
        }
        PanelProductDriver.run(inputs: n, layout, packInputs: { q, scales, r0, r1 in
            vlm_i8_pack_inputs_avx2(x, columns, rows, columns, Int64(r0), Int64(r1), q.assumingMemoryBound(to: Int8.self), scales)
        }, product: { q, scales, p0, p1, scratch in
            withUnsafePointer(to: codes) { w in
                let packed = q.assumingMemoryBound(to: Int8.self)
                if kernel.isAVX512 {
                    vlm_i8_product_avx512(w, Int64(p0), Int64(p1), packed, scales, rows, y, Int64(ldy), scratch, kernel.vnniFlag)
                } else {
                    vlm_i8_product_avx2(w, Int64(p0), Int64(p1), packed, scales, rows, y, Int64(ldy), scratch)
                }
            }
        })
    }

    /// The inputs as the kernel sees them, back in fp32: per row and block of 32 columns,
    /// q·(m/127) with q = round-half-even(x · (127/m)), m = max|x| (0 when m = 0; NaN for a block
    /// holding a NaN or an infinity). `columns` must be a multiple of 32.
    static func roundedInputs(_ x: UnsafePointer<Float>, count n: Int, columns: Int) -> [Float] {
        precondition(columns % Int(VLM_I8_BLOCK) == 0, "Int8InputProduct: columns must be whole 32-column blocks")
        let block = Int(VLM_I8_BLOCK)
        var out = [Float](repeating: 0, count: n * columns)
        out.withUnsafeMutableBufferPointer { o in
            Parallel.forEach(n) { i in
                for b0 in stride(from: i * columns, to: (i + 1) * columns, by: block) {
                    var m: Float = 0, finite = true
                    for k in b0..<(b0 + block) {
                        let v = x[k]
                        if !v.isFinite { finite = false }
                        m = max(m, abs(v))
                    }
                    guard finite else { for k in b0..<(b0 + block) { o[k] = .nan }; continue }
                    guard m > 0 else { continue }
                    let inv = 127 / m, scale = m / 127
                    for k in b0..<(b0 + block) { o[k] = (x[k] * inv).rounded(.toNearestOrEven) * scale }
                }
            }
        }
        return out
    }
}
