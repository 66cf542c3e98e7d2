/// Byte-exact re-implementation of Pillow 11.2.1's `Image.resize` for 8-bit RGB
/// (`ImagingResample` in `Resample.c`): separable passes with 22-bit fixed-point weights,
/// accumulated in 32-bit integers from the rounding constant 2²¹, shifted and clipped to
/// 0…255. The horizontal pass runs first, only if the width changes; then the vertical
/// pass, only if the height changes; the intermediate image is 8-bit. Same size → a copy.
///
/// Speed: both passes run over raw pointers with wrapping Int32 arithmetic (the sums are
/// exactly Pillow's, in any order, since integer addition is associative). The vertical pass
/// keeps 16 columns of accumulators in SIMD registers across the taps; the horizontal pass
/// handles two rows at a time, with per-output tap tables shifted so that every output reads the
/// same number of taps (the largest count; the extra taps have weight 0 and add nothing).
public enum PillowResampler {
    /// `image.resize((width, height), filter)` as Pillow 11.2.1 computes it.
    public static func resize(_ image: RGBImage, width: Int, height: Int, filter: PillowFilter) -> RGBImage {
        precondition(width > 0 && height > 0, "PillowResampler: output size must be positive")
        if image.width == width && image.height == height { return image }
        precondition(image.width > 0 && image.height > 0, "PillowResampler: empty input image")
        let needH = width != image.width
        let needV = height != image.height
        let vert = ResampleCoefficients(inSize: image.height, outSize: height, filter: filter)
        var src = image
        var rowOffset = 0
        if needH {
            // Like Pillow, only the source rows the vertical pass reads are resampled.
            let first = needV ? vert.start[0] : 0
            let last = needV ? vert.start[height - 1] + vert.count[height - 1] : image.height
            let horiz = ResampleCoefficients(inSize: image.width, outSize: width, filter: filter)
            src = horizontalPass(image, rows: first..<last, coefficients: horiz)
            rowOffset = first
        }
        if needV {
            return verticalPass(src, rowOffset: rowOffset, height: height, coefficients: vert)
        }
        return src
    }

    @inline(__always)
    static func clip8(_ acc: Int32) -> UInt8 {
        let v = acc >> ResampleCoefficients.precisionBits
        return v < 0 ? 0 : (v > 255 ? 255 : UInt8(truncatingIfNeeded: v))
    }

    static func horizontalPass(_ image: RGBImage, rows: Range<Int>, coefficients c: ResampleCoefficients) -> RGBImage {
        let outW = c.start.count
        let inW = image.width
        let inStride = inW * 3
        let outStride = outW * 3
        let round: Int32 = 1 << (ResampleCoefficients.precisionBits - 1)
        // Every output reads exactly `taps` source pixels starting at `first[xx]`: near the right
        // edge the window is moved left and the weights moved right, padding with zero weights.
        let taps = min(c.count.max() ?? 1, inW)
        var first = [Int](repeating: 0, count: outW)
        var weights = [Int32](repeating: 0, count: outW * taps)
        for xx in 0..<outW {
            let n = c.count[xx]
            let f = min(c.start[xx], inW - taps)
            let shift = c.start[xx] - f
            first[xx] = f * 3
            for x in 0..<n { weights[xx * taps + shift + x] = c.weights[xx * c.ksize + x] }
        }
        let rowCount = rows.count
        let out = [UInt8](unsafeUninitializedCapacity: outStride * rowCount) { dst, initialized in
            image.pixels.withUnsafeBufferPointer { srcBuf in
                weights.withUnsafeBufferPointer { wBuf in
                    first.withUnsafeBufferPointer { firstBuf in
                        let src = srcBuf.baseAddress!, kk = wBuf.baseAddress!, fs = firstBuf.baseAddress!
                        let d0 = dst.baseAddress!
                        // Two rows at a time: the weight loads and the loop overhead are shared.
                        var oy = 0
                        while oy + 2 <= rowCount {
                            let srow = src + (rows.lowerBound + oy) * inStride
                            var d = d0 + oy * outStride
                            var k = kk
                            for xx in 0..<outW {
                                var p = srow + fs[xx]
                                var s0 = round, s1 = round, s2 = round
                                var t0 = round, t1 = round, t2 = round
                                for _ in 0..<taps {
                                    let w = k.pointee
                                    s0 &+= Int32(p[0]) &* w
                                    s1 &+= Int32(p[1]) &* w
                                    s2 &+= Int32(p[2]) &* w
                                    t0 &+= Int32(p[inStride]) &* w
                                    t1 &+= Int32(p[inStride + 1]) &* w
                                    t2 &+= Int32(p[inStride + 2]) &* w
                                    p += 3
                                    k += 1
                                }
                                d[0] = clip8(s0)
                                d[1] = clip8(s1)
                                d[2] = clip8(s2)
                                d[outStride] = clip8(t0)
                                d[outStride + 1] = clip8(t1)
                                d[outStride + 2] = clip8(t2)
                                d += 3
                            }
                            oy += 2
                        }
                        if oy < rowCount {
                            let srow = src + (rows.lowerBound + oy) * inStride
                            var d = d0 + oy * outStride
                            var k = kk
                            for xx in 0..<outW {
                                var p = srow + fs[xx]
                                var s0 = round, s1 = round, s2 = round
                                for _ in 0..<taps {
                                    let w = k.pointee
                                    s0 &+= Int32(p[0]) &* w
                                    s1 &+= Int32(p[1]) &* w
                                    s2 &+= Int32(p[2]) &* w
                                    p += 3
                                    k += 1
                                }
                                d[0] = clip8(s0)
                                d[1] = clip8(s1)
                                d[2] = clip8(s2)
                                d += 3
                            }
                        }
                    }
                }
            }
            initialized = outStride * rowCount
        }
        return RGBImage(width: outW, height: rowCount, pixels: out)
    }

    /// `rowOffset` is the source row that row 0 of `image` stands for.
    static func verticalPass(_ image: RGBImage, rowOffset: Int, height: Int, coefficients c: ResampleCoefficients) -> RGBImage {
        let stride = image.width * 3
        let round: Int32 = 1 << (ResampleCoefficients.precisionBits - 1)
        let ksize = c.ksize
        // Each weight split as 2¹⁵·high + low (low in 0..<2¹⁵, high a small signed value): both halves
        // fit in 16 bits, so the SIMD multiplies by a byte compile to pmaddwd instead of emulated 32-bit
        // multiplies. 2¹⁵·Σhigh + Σlow ≡ Σ byte·weight (mod 2³²), the same wrapping int32 sum.
        let low = c.weights.map { Int16($0 & 0x7FFF) }
        let high = c.weights.map { Int16(truncatingIfNeeded: $0 >> 15) }
        let out = [UInt8](unsafeUninitializedCapacity: stride * height) { dst, initialized in
            image.pixels.withUnsafeBufferPointer { srcBuf in
                c.weights.withUnsafeBufferPointer { wBuf in
                low.withUnsafeBufferPointer { lowBuf in
                high.withUnsafeBufferPointer { highBuf in
                    let src = srcBuf.baseAddress!, kk = wBuf.baseAddress!
                    let kl = lowBuf.baseAddress!, kh = highBuf.baseAddress!
                    let d0 = dst.baseAddress!
                    for yy in 0..<height {
                        let n = c.count[yy]
                        let rows = src + (c.start[yy] - rowOffset) * stride
                        let k = kk + yy * ksize
                        let d = d0 + yy * stride
                        var i = 0
                        while i + 16 <= stride {
                            var accLow = SIMD16<Int32>(repeating: round), accHigh = SIMD16<Int32>.zero
                            var p = rows + i
                            for y in 0..<n {
                                let v = SIMD16<Int32>(truncatingIfNeeded: UnsafeRawPointer(p).loadUnaligned(as: SIMD16<UInt8>.self))
                                accLow &+= v &* Int32(kl[yy * ksize + y])
                                accHigh &+= v &* Int32(kh[yy * ksize + y])
                                p += stride
                            }
                            // clip8 without comparisons: negatives → 0 (and with ¬sign), > 255 → all ones (→ 255)
                            var acc = ((accHigh &<< 15) &+ accLow) &>> ResampleCoefficients.precisionBits
                            acc &= ~(acc &>> 31)
                            acc |= (255 &- acc) &>> 31
                            UnsafeMutableRawPointer(d + i).storeBytes(of: SIMD16<UInt8>(truncatingIfNeeded: acc), as: SIMD16<UInt8>.self)
                            i += 16
                        }
                        while i < stride {
                            var acc = round
                            var p = rows + i
                            for y in 0..<n {
                                acc &+= Int32(p.pointee) &* k[y]
                                p += stride
                            }
                            d[i] = clip8(acc)
                            i += 1
                        }
                    }
                }
                }
                }
            }
            initialized = stride * height
        }
        return RGBImage(width: image.width, height: height, pixels: out)
    }
}

extension RGBImage {
    /// Pillow 11.2.1 `resize((width, height), filter)`, byte-exact. See `PillowResampler`.
    public func resized(width: Int, height: Int, filter: PillowFilter) -> RGBImage {
        PillowResampler.resize(self, width: width, height: height, filter: filter)
    }
}
