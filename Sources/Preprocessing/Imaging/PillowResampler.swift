/// Byte-exact re-implementation of Pillow 11.2.1's `Image.resize` for 8-bit RGB
/// (`ImagingResample` in `Resample.c`): separable passes with 22-bit fixed-point weights,
/// accumulated in 32-bit integers from the rounding constant 2²¹, shifted and clipped to
/// 0…255. The horizontal pass runs first, only if the width changes; then the vertical
/// pass, only if the height changes; the intermediate image is 8-bit. Same size → a copy.
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
        let inStride = image.width * 3
        let outStride = outW * 3
        let round: Int32 = 1 << (ResampleCoefficients.precisionBits - 1)
        let ksize = c.ksize
        let out = [UInt8](unsafeUninitializedCapacity: outStride * rows.count) { dst, n in
            image.pixels.withUnsafeBufferPointer { src in
                c.weights.withUnsafeBufferPointer { kk in
                    c.start.withUnsafeBufferPointer { starts in
                        c.count.withUnsafeBufferPointer { counts in
                            let ctx = UnsafeSendable((src.baseAddress!, kk.baseAddress!, starts.baseAddress!, counts.baseAddress!, dst.baseAddress!))
                            ImagingThreads.forEachChunk(rows.count) { range in
                                let (src, kk, starts, counts, dst) = ctx.value
                                for oy in range {
                                    let srow = src + (rows.lowerBound + oy) * inStride
                                    var d = dst + oy * outStride
                                    for xx in 0..<outW {
                                        let k = kk + xx * ksize
                                        var p = srow + starts[xx] * 3
                                        var s0 = round, s1 = round, s2 = round
                                        for x in 0..<counts[xx] {
                                            let w = k[x]
                                            s0 &+= Int32(p[0]) &* w
                                            s1 &+= Int32(p[1]) &* w
                                            s2 &+= Int32(p[2]) &* w
                                            p += 3
                                        }
                                        d[0] = clip8(s0); d[1] = clip8(s1); d[2] = clip8(s2)
                                        d += 3
                                    }
                                }
                            }
                        }
                    }
                }
            }
            n = outStride * rows.count
        }
        return RGBImage(width: outW, height: rows.count, pixels: out)
    }

    /// `rowOffset` is the source row that row 0 of `image` stands for.
    static func verticalPass(_ image: RGBImage, rowOffset: Int, height: Int, coefficients c: ResampleCoefficients) -> RGBImage {
        let stride = image.width * 3
        let round: Int32 = 1 << (ResampleCoefficients.precisionBits - 1)
        let ksize = c.ksize
        let out = [UInt8](unsafeUninitializedCapacity: stride * height) { dst, n in
            image.pixels.withUnsafeBufferPointer { src in
                c.weights.withUnsafeBufferPointer { kk in
                    c.start.withUnsafeBufferPointer { starts in
                        c.count.withUnsafeBufferPointer { counts in
                            let ctx = UnsafeSendable((src.baseAddress!, kk.baseAddress!, starts.baseAddress!, counts.baseAddress!, dst.baseAddress!))
                            ImagingThreads.forEachChunk(height) { range in
                                let (src, kk, starts, counts, dst) = ctx.value
                                let acc = UnsafeMutablePointer<Int32>.allocate(capacity: stride)
                                defer { acc.deallocate() }
                                for yy in range {
                                    acc.update(repeating: round, count: stride)
                                    let ymin = starts[yy] - rowOffset
                                    let k = kk + yy * ksize
                                    for y in 0..<counts[yy] {
                                        let w = k[y]
                                        let srow = src + (ymin + y) * stride
                                        for i in 0..<stride { acc[i] &+= Int32(srow[i]) &* w }
                                    }
                                    let drow = dst + yy * stride
                                    for i in 0..<stride { drow[i] = clip8(acc[i]) }
                                }
                            }
                        }
                    }
                }
            }
            n = stride * height
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
