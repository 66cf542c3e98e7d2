import CKernels

/// Products over the rows of several independent sequences stored back to back ("segments"), as
/// a packed forward pass needs them: every segment gets exactly the bits `apply` over that
/// segment's rows alone gives, whatever else is in the call.
///
/// Which rows may share a kernel call follows from `kernel(forInputs:)`: segments whose solo
/// call takes a row-independent kernel (the integer panel products) share one call when the
/// combined call takes that kernel too; every other segment gets the call its solo run makes —
/// OpenBLAS sgemm's per-element result depends on M, and the direct kernels pair rows. Segments
/// on the widening path share the widening of each tile, with one sgemm per segment.
extension WeightMatrix {
    /// y[n × rows] = x[n × columns] · Wᵀ (+ bias) for n = Σ `segments`, rows laid out as
    /// consecutive segments of those row counts; row i of segment s is bit-identical to row i of
    /// `apply` over segment s alone (same `ldy` and bias). Empty segments are allowed.
    public func apply(_ x: UnsafePointer<Float>, segments: [Int], into y: UnsafeMutablePointer<Float>,
                      ldy: Int? = nil, bias: [Float]? = nil) {
        precondition(segments.allSatisfy { $0 >= 0 }, "WeightMatrix.apply: negative segment length")
        let ld = ldy ?? rows, n = segments.reduce(0, +)
        if let rowOrder {
            // As `applyReordered`: products in stored order, then the columns scattered.
            let z = UnsafeMutablePointer<Float>.allocate(capacity: max(n * rows, 1))
            defer { z.deallocate() }
            storedOrder.applySegmentsInStoredOrder(x, segments, into: z, ldy: rows)
            rowOrder.withUnsafeBufferPointer { order in
                for t in 0..<n {
                    let out = y + t * ld, src = z + t * rows
                    for i in 0..<rows { out[i] = src[order[i]] }
                }
            }
        } else {
            applySegmentsInStoredOrder(x, segments, into: y, ldy: ld)
        }
        if let bias {
            precondition(bias.count == rows, "bias length does not match weight rows")
            for i in 0..<n { let row = y + i * ld; for j in 0..<rows { row[j] += bias[j] } }
        }
    }

    /// The segmented product in stored row order: consecutive segments grouped into calls.
    func applySegmentsInStoredOrder(_ x: UnsafePointer<Float>, _ segments: [Int], into y: UnsafeMutablePointer<Float>, ldy ld: Int) {
        var start = 0, i = 0
        while i < segments.count {
            let kernel = kernel(forInputs: segments[i])
            // The longest run of following segments the same call can take.
            var j = i + 1, count = segments[i]
            while j < segments.count, segments[j] == 0 || kernel.canShare(with: self.kernel(forInputs: segments[j]), combined: self.kernel(forInputs: count + segments[j])) {
                count += segments[j]
                j += 1
            }
            let xs = x + start * columns, ys = y + start * ld
            switch kernel {
            case .widening:
                applyByWidening(xs, count: count, segments: Array(segments[i..<j]), into: ys, ldy: ld)
            case .roundedInt8Inputs:
                let rounded = Int8InputProduct.roundedInputs(xs, count: count, columns: columns)
                rounded.withUnsafeBufferPointer { r in
                    if let r = r.baseAddress { applyByWidening(r, count: count, segments: Array(segments[i..<j]), into: ys, ldy: ld) }
                }
            case .sgemm, .direct, .int8Inputs, .int16:
                if count > 0 { applyInStoredOrder(xs, count: count, into: ys, ldy: ld) }
            }
            start += count
            i = j
        }
    }

    /// The kernel `apply` takes for `n` input rows in stored row order: the one place this rule
    /// lives (`applyInStoredOrder` dispatches on it; the segmented `apply` reads it to know which
    /// rows may share a call).
    func kernel(forInputs n: Int) -> Kernel {
        switch storage {
        case .f32 where Int(bitPattern: base) % MemoryLayout<Float>.alignment == 0:
            return .sgemm
        case .int8 where n < QuantizedDirectProduct.inputLimit, .int4 where n < QuantizedDirectProduct.inputLimit,
             .ggmlQ8_0 where n < QuantizedDirectProduct.inputLimit, .ggmlQ4_0 where n < QuantizedDirectProduct.inputLimit:
            return .direct
        case .int8, .int4, .ggmlQ8_0, .ggmlQ4_0:
            if let codes = Int8InputProduct.codeRows(self) {
                // With VLMEMBED_INT4_INPUTS=int8, 4-bit codes take 8-bit inputs on every path.
                return KernelISA.active.runsIntegerProducts ? .int8Inputs(codes) : .roundedInt8Inputs
            } else if KernelISA.active.runsIntegerProducts, let codes = Int16Product.codeRows(self) {
                return .int16(codes)
            }
            return .widening
        default:
            return .widening
        }
    }

    /// The kernels `applyInStoredOrder` dispatches to (`kernel(forInputs:)`).
    enum Kernel {
        /// OpenBLAS sgemm on the stored fp32 values.
        case sgemm
        /// `applyDirect`: the few-row kernels, which take input rows two at a time.
        case direct
        /// `Int8InputProduct` (paths with `runsIntegerProducts`).
        case int8Inputs(vlm_code_rows)
        /// The inputs rounded as `Int8InputProduct` rounds them, then `applyByWidening` (other paths).
        case roundedInt8Inputs
        /// `Int16Product` (paths with `runsIntegerProducts`).
        case int16(vlm_code_rows)
        /// `applyByWidening`.
        case widening

        /// Whether one call over the rows of several segments gives every row exactly the bits a
        /// call over its own segment gives, provided both row counts pick this kernel. True for
        /// the integer panel products (each input row is quantized on its own, sums are exact
        /// integers, scales applied per row in one order); false for sgemm, whose per-element
        /// result depends on M (measured with OpenBLAS 0.3.21: small products take other kernels),
        /// and for the direct kernels, which pair rows (ggml's `dot2` is not `dot1` twice).
        /// `SegmentedApplyTests` checks the claim.
        var isRowIndependent: Bool {
            switch self {
            case .int8Inputs, .int16: return true
            case .sgemm, .direct, .roundedInt8Inputs, .widening: return false
            }
        }

        /// Whether a segment taking `next` can join a call of this kernel that then takes
        /// `combined`: all three the same row-independent kernel, or all three on the widening
        /// path (which multiplies each segment on its own).
        func canShare(with next: Kernel, combined: Kernel) -> Bool {
            switch (self, next, combined) {
            case (.int8Inputs, .int8Inputs, .int8Inputs), (.int16, .int16, .int16): return isRowIndependent
            case (.widening, .widening, .widening), (.roundedInt8Inputs, .roundedInt8Inputs, .roundedInt8Inputs): return true
            default: return false
            }
        }
    }
}
