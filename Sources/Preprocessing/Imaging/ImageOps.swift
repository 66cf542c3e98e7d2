extension RGBImage {
    /// PIL `transpose(Image.Transpose.TRANSPOSE)`: swap across the main diagonal, so the
    /// result is `height × width` and pixel (x, y) comes from (y, x).
    public func transposed() -> RGBImage {
        let w = width, h = height
        let tile = 32  // tiles keep both the rows read and the rows written in cache
        let out = [UInt8](unsafeUninitializedCapacity: w * h * 3) { dst, initialized in
            pixels.withUnsafeBufferPointer { src in
                guard let s = src.baseAddress, let d = dst.baseAddress else { return }
                for y0 in stride(from: 0, to: h, by: tile) {
                    for x0 in stride(from: 0, to: w, by: tile) {
                        for y in y0..<min(y0 + tile, h) {
                            for x in x0..<min(x0 + tile, w) {
                                let from = s + (y * w + x) * 3, to = d + (x * h + y) * 3
                                to[0] = from[0]; to[1] = from[1]; to[2] = from[2]
                            }
                        }
                    }
                }
            }
            initialized = w * h * 3
        }
        return RGBImage(width: h, height: w, pixels: out)
    }

    /// The image surrounded by a constant-colour border (`top` rows above, `bottom` below,
    /// `left`/`right` columns at the sides). All amounts must be ≥ 0.
    public func padded(top: Int, bottom: Int, left: Int, right: Int, color: (UInt8, UInt8, UInt8)) -> RGBImage {
        precondition(top >= 0 && bottom >= 0 && left >= 0 && right >= 0, "RGBImage.padded: negative padding")
        var out = RGBImage(width: width + left + right, height: height + top + bottom, fill: color)
        let srcStride = width * 3, dstStride = out.width * 3
        if srcStride > 0 {
            pixels.withUnsafeBufferPointer { src in
                out.pixels.withUnsafeMutableBufferPointer { dst in
                    guard let s = src.baseAddress, let d = dst.baseAddress else { return }
                    for y in 0..<height {
                        (d + (y + top) * dstStride + left * 3).update(from: s + y * srcStride, count: srcStride)
                    }
                }
            }
        }
        return out
    }

    /// Pads to exactly `width × height`, splitting the extra space as floor on top/left and
    /// the rest on bottom/right (the split both processors use). The target must not be smaller.
    public func paddedCentered(toWidth targetWidth: Int, height targetHeight: Int, color: (UInt8, UInt8, UInt8)) -> RGBImage {
        precondition(targetWidth >= width && targetHeight >= height, "RGBImage.paddedCentered: target smaller than image")
        let dw = targetWidth - width, dh = targetHeight - height
        return padded(top: dh / 2, bottom: dh - dh / 2, left: dw / 2, right: dw - dw / 2, color: color)
    }

    /// The `w × h` region whose top-left corner is (x, y); it must lie inside the image.
    public func cropped(x: Int, y: Int, width w: Int, height h: Int) -> RGBImage {
        precondition(x >= 0 && y >= 0 && w >= 0 && h >= 0 && x + w <= width && y + h <= height, "RGBImage.cropped: out of bounds")
        let out = [UInt8](unsafeUninitializedCapacity: w * h * 3) { dst, initialized in
            pixels.withUnsafeBufferPointer { src in
                guard let s = src.baseAddress, let d = dst.baseAddress else { return }
                for r in 0..<h {
                    (d + r * w * 3).initialize(from: s + ((y + r) * width + x) * 3, count: w * 3)
                }
            }
            initialized = w * h * 3
        }
        return RGBImage(width: w, height: h, pixels: out)
    }
}
