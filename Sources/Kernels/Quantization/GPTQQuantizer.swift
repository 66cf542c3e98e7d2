/// GPTQ (Frantar, Ashkboos, Hoefler, Alistarh 2022, "GPTQ: Accurate Post-Training Quantization
/// for Generative Pre-trained Transformers") onto the int4 storage of `QuantScheme.int4`: the
/// columns of W are coded left to right; each column's rounding error, divided by the pivot of
/// the upper Cholesky factor U of H⁻¹, is subtracted from the columns not yet coded (row i of U),
/// which minimises the layer's output error ‖XWᵀ − XW'ᵀ‖² on the calibration inputs X one column at
/// a time. Updates are applied in blocks of 128 columns (the paper's lazy batch updates). A group's
/// scale (and zero point) is chosen when the group is reached, by the weighted search of
/// `SearchedScaleQuantizer` on the weights as they stand then, weighted by diag(H) (the columns'
/// mean x², the `importance` method's weights).
///
/// H = E[xᵀx] is dampened by 10% of its mean diagonal (×10 and again, up to 1000×, if the
/// factorisation still fails); a column no calibration input reached (H_jj = 0) gets H_jj = 1.
/// All arithmetic is binary64 in a fixed order on one thread: the same inputs give the same bytes.
public enum GPTQQuantizer {
    /// Columns per lazy update block.
    public static let blockSize = 128
    /// Relative dampening added to H's diagonal: 10% of its mean (AutoGPTQ's default is 1%; on the
    /// fidelity table of README "int4 methods", 10% kept the worst rows of both tiny backbones above
    /// round to nearest's, 1% did not).
    public static let dampening = 0.1

    /// Quantizes `w` (`rows × columns`, row-major) to int4 `scheme` with the second-moment matrix
    /// `h` (`columns × columns`, row-major, symmetric: E[xᵀx] over the calibration rows).
    /// - Precondition: `scheme` is int4, `h.count == columns²`, `w.count == rows·columns`.
    public static func quantize(_ w: [Float], rows: Int, columns: Int, scheme: QuantScheme, h: [Double]) -> QuantizedBytes {
        guard case .int4(let group, let asymmetric) = scheme else { preconditionFailure("GPTQQuantizer: \(scheme.name) is not int4") }
        precondition(h.count == columns * columns && w.count == rows * columns, "GPTQQuantizer: shapes")
        let n = columns
        let importance = (0..<n).map { Float(max(h[$0 * n + $0], 0)) }
        let u = inverseCholeskyUpper(h, n: n)

        var work = w.map(Double.init)  // rows × columns, updated in place
        let sizes = WeightQuantizer.sectionSizes(rows: rows, columns: columns, scheme: scheme)
        var data = [UInt8](repeating: 0, count: sizes.data), scales = [UInt8](repeating: 0, count: sizes.scales)
        var zeros = [UInt8](repeating: 0, count: sizes.zeros)
        let groupsPerRow = (columns + group - 1) / group, stride = (columns + 1) / 2
        var codings = [SearchedScaleQuantizer.GroupCoding](repeating: .init(divisor: 1, lo: 0, hi: 0, offset: 8, scaleBits: 0), count: rows)
        var errors = [Double](repeating: 0, count: rows * blockSize)
        var x = [Float](repeating: 0, count: group)

        var b0 = 0
        while b0 < n {
            let b1 = min(n, b0 + blockSize)
            for i in b0..<b1 {
                if i % group == 0 {
                    // Choose every row's coding of group i / group from the weights as they stand.
                    let g = i / group, count = min(group, n - i)
                    for r in 0..<rows {
                        for j in 0..<count { x[j] = Float(work[r * n + i + j]) }
                        let coding = x.withUnsafeBufferPointer { xb in
                            importance.withUnsafeBufferPointer { ib in
                                SearchedScaleQuantizer.groupCoding(xb.baseAddress.unsafelyUnwrapped, weights: ib.baseAddress.unsafelyUnwrapped + i,
                                                                  count: count, asymmetric: asymmetric)
                            }
                        }
                        codings[r] = coding
                        let k = r * groupsPerRow + g
                        scales[2 * k] = UInt8(coding.scaleBits & 0xFF)
                        scales[2 * k + 1] = UInt8(coding.scaleBits >> 8)
                        if asymmetric { zeros[k] = UInt8(coding.offset) }
                    }
                }
                let pivot = u[i * n + i]
                for r in 0..<rows {
                    let v = work[r * n + i]
                    let nibble = codings[r].nibble(Float(v))
                    data[r * stride + i / 2] |= i % 2 == 0 ? nibble : nibble << 4
                    let e = (v - Double(codings[r].value(nibble))) / pivot
                    errors[r * blockSize + (i - b0)] = e
                    // Spread over the rest of the block now; past the block, after it.
                    if e != 0 && i + 1 < b1 {
                        work.withUnsafeMutableBufferPointer { wb in
                            u.withUnsafeBufferPointer { ub in
                                let dst = wb.baseAddress.unsafelyUnwrapped + r * n, src = ub.baseAddress.unsafelyUnwrapped + i * n
                                for j in (i + 1)..<b1 { dst[j] -= e * src[j] }
                            }
                        }
                    }
                }
            }
            if b1 < n {
                work.withUnsafeMutableBufferPointer { wb in
                    u.withUnsafeBufferPointer { ub in
                        errors.withUnsafeBufferPointer { eb in
                            for r in 0..<rows {
                                let dst = wb.baseAddress.unsafelyUnwrapped + r * n
                                for k in 0..<(b1 - b0) {
                                    let e = eb[r * blockSize + k]
                                    if e == 0 { continue }
                                    let src = ub.baseAddress.unsafelyUnwrapped + (b0 + k) * n
                                    for j in b1..<n { dst[j] -= e * src[j] }
                                }
                            }
                        }
                    }
                }
            }
            b0 = b1
        }
        return QuantizedBytes(data: data, scales: scales, zeros: zeros)
    }

    /// U, upper triangular (row-major n × n), with UᵀU = (H + λI)⁻¹ after the dampening and dead
    /// columns described above.
    static func inverseCholeskyUpper(_ h: [Double], n: Int) -> [Double] {
        var base = h
        var meanDiagonal = 0.0
        for j in 0..<n {
            if !(base[j * n + j] > 0) {
                for k in 0..<n { base[j * n + k] = 0; base[k * n + j] = 0 }
                base[j * n + j] = 1
            }
            meanDiagonal += base[j * n + j]
        }
        meanDiagonal /= Double(max(n, 1))
        var damp = dampening * meanDiagonal
        for _ in 0..<4 {
            var a = base
            for j in 0..<n { a[j * n + j] += damp }
            if let l = choleskyLower(a, n: n) {
                // H⁻¹ = L⁻ᵀL⁻¹; its upper factor: the lower Cholesky factor M of H⁻¹ gives U = Mᵀ.
                let inverse = inverseFromLowerFactor(l, n: n)
                if let m = choleskyLower(inverse, n: n) {
                    var u = [Double](repeating: 0, count: n * n)
                    for i in 0..<n { for j in i..<n { u[i * n + j] = m[j * n + i] } }
                    return u
                }
            }
            damp *= 10
        }
        // Not positive definite even dampened (non-finite statistics): no error feedback, U = I.
        var u = [Double](repeating: 0, count: n * n)
        for i in 0..<n { u[i * n + i] = 1 }
        return u
    }

    /// Lower Cholesky factor of a symmetric positive definite matrix (row-major), or nil.
    static func choleskyLower(_ a: [Double], n: Int) -> [Double]? {
        var l = [Double](repeating: 0, count: n * n)
        let ok = l.withUnsafeMutableBufferPointer { lb -> Bool in
            a.withUnsafeBufferPointer { ab -> Bool in
                let l = lb.baseAddress.unsafelyUnwrapped, a = ab.baseAddress.unsafelyUnwrapped
                for i in 0..<n {
                    let li = l + i * n
                    for j in 0...i {
                        let lj = l + j * n
                        var s = a[i * n + j]
                        for k in 0..<j { s -= li[k] * lj[k] }
                        if i == j {
                            guard s > 0, s.isFinite else { return false }
                            li[i] = s.squareRoot()
                        } else {
                            li[j] = s / lj[j]
                        }
                    }
                }
                return true
            }
        }
        return ok ? l : nil
    }

    /// (L Lᵀ)⁻¹ = L⁻ᵀ L⁻¹ from a lower triangular factor L.
    static func inverseFromLowerFactor(_ l: [Double], n: Int) -> [Double] {
        // Row j of tt holds column j of T = L⁻¹ (lower triangular: entries j..<n), by forward substitution.
        var tt = [Double](repeating: 0, count: n * n)
        var inv = [Double](repeating: 0, count: n * n)
        l.withUnsafeBufferPointer { lb in
            tt.withUnsafeMutableBufferPointer { tb in
                inv.withUnsafeMutableBufferPointer { ib in
                    let l = lb.baseAddress.unsafelyUnwrapped, tt = tb.baseAddress.unsafelyUnwrapped, inv = ib.baseAddress.unsafelyUnwrapped
                    for j in 0..<n {
                        let t = tt + j * n
                        t[j] = 1 / l[j * n + j]
                        var i = j + 1
                        while i < n {
                            let li = l + i * n
                            var s = 0.0
                            for k in j..<i { s -= li[k] * t[k] }
                            t[i] = s / li[i]
                            i += 1
                        }
                    }
                    // (Tᵀ T)_ij = Σ_{k ≥ j} T_ki T_kj for j ≥ i: rows i and j of tt from k = j.
                    for i in 0..<n {
                        let ti = tt + i * n
                        for j in i..<n {
                            let tj = tt + j * n
                            var s = 0.0
                            for k in j..<n { s += ti[k] * tj[k] }
                            inv[i * n + j] = s
                            inv[j * n + i] = s
                        }
                    }
                }
            }
        }
        return inv
    }
}
