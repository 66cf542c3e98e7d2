import CKernels

extension WeightMatrix {
    /// The C kernels' description of an int8/int4/Q8_0/Q4_0 weight in stored row order (nil for
    /// float or row-decoded storage and for row-order views), before any kernel's own checks
    /// (`vlm_i16_supports`, `vlm_i8_supports`).
    var kernelCodeRows: vlm_code_rows? {
        guard rowOrder == nil else { return nil }
        var c = vlm_code_rows()
        c.rows = Int64(rows)
        c.columns = Int64(columns)
        c.codes = base
        c.row_order = nil
        switch storage {
        case .int8:
            c.kind = Int32(VLM_CODES_INT8)
            c.row_bytes = Int64(columns)
            c.scales = scales
            c.group = Int64(columns)
        case .int4(let group, let asymmetric):
            c.kind = Int32(VLM_CODES_INT4)
            c.row_bytes = Int64((columns + 1) / 2)
            c.scales = scales
            // Symmetric weights have no zero points, whatever section a constructor attached.
            c.zeros = asymmetric ? zeros?.assumingMemoryBound(to: UInt8.self) : nil
            c.group = Int64(group)
        case .ggmlQ8_0:
            c.kind = Int32(VLM_CODES_GGML_Q8_0)
            c.row_bytes = Int64(columns / 32 * 34)
            c.group = 32
        case .ggmlQ4_0:
            c.kind = Int32(VLM_CODES_GGML_Q4_0)
            c.row_bytes = Int64(columns / 32 * 18)
            c.group = 32
        case .f32, .f16, .bf16, .rowDecoded:
            return nil
        }
        return c
    }
}
