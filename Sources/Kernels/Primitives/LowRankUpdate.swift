import CKernels

/// The row pieces of a LoRA/DoRA merge (`LoRAMath` in ModelGraph), rounded the way PyTorch's CPU
/// `merge_and_unload` rounds them. On the `avx2` and `avx512` paths they are C kernels (`vlm_low_rank_add_row_avx2`,
/// `vlm_row_norm_avx2`) that do eight columns at once with the same per-element operations, so
/// both paths give identical bits; `generic` runs the scalar definitions below (on CPUs without
/// FMA hardware, `addingProduct` is a library call: correct, slow).
public enum LowRankUpdate {
    /// row[j] += scale · d[j] for j < columns, d[j] = Σ_t b[t]·a[t·columns + j] as a fused
    /// multiply-add chain over t from zero (`a`: rank × columns, row-major; `b`: rank values).
    public static func addScaledProduct(row: UnsafeMutablePointer<Float>, columns: Int, a: UnsafePointer<Float>,
                                        b: UnsafePointer<Float>, rank: Int, scale: Float) {
        if KernelISA.active.runsAVX2Kernels {
            vlm_low_rank_add_row_avx2(row, Int64(columns), a, b, Int64(rank), scale)
            return
        }
        for j in 0..<columns {
            var d: Float = 0
            for t in 0..<rank { d = d.addingProduct(b[t], a[t * columns + j]) }
            row[j] += d * scale
        }
    }

    /// ‖x‖₂ in fp32 the way PyTorch's CPU `linalg.norm(dim=1)` reduces a contiguous row (AVX2
    /// build): eight lane accumulators updated with fused multiply-adds, the lanes summed in order,
    /// the tail added with fused multiply-adds, then the square root.
    public static func rowNorm(_ x: UnsafePointer<Float>, count n: Int) -> Float {
        if KernelISA.active.runsAVX2Kernels { return vlm_row_norm_avx2(x, Int64(n)) }
        var lanes = (Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0))
        let whole = n - n % 8
        var d = 0
        while d < whole {
            lanes.0 = lanes.0.addingProduct(x[d], x[d]); lanes.1 = lanes.1.addingProduct(x[d + 1], x[d + 1])
            lanes.2 = lanes.2.addingProduct(x[d + 2], x[d + 2]); lanes.3 = lanes.3.addingProduct(x[d + 3], x[d + 3])
            lanes.4 = lanes.4.addingProduct(x[d + 4], x[d + 4]); lanes.5 = lanes.5.addingProduct(x[d + 5], x[d + 5])
            lanes.6 = lanes.6.addingProduct(x[d + 6], x[d + 6]); lanes.7 = lanes.7.addingProduct(x[d + 7], x[d + 7])
            d += 8
        }
        var sum = lanes.0
        sum += lanes.1; sum += lanes.2; sum += lanes.3; sum += lanes.4; sum += lanes.5; sum += lanes.6; sum += lanes.7
        while d < n { sum = sum.addingProduct(x[d], x[d]); d += 1 }
        return sum.squareRoot()
    }

    /// row[j] *= factor for j < columns.
    public static func scale(row: UnsafeMutablePointer<Float>, columns: Int, by factor: Float) {
        if KernelISA.active.runsAVX2Kernels {
            vlm_scale_row_avx2(row, Int64(columns), factor)
            return
        }
        for j in 0..<columns { row[j] *= factor }
    }
}
