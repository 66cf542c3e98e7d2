/// Conversion of 8-bit RGB crops to normalised CHW float32, the two ways upstream does it.
/// Each is a 256-entry table per channel holding exactly the fp32 result upstream computes for that
/// byte value, so the output is bit-identical and costs one lookup per sample.
enum PixelNormalization {
    /// torchvision `ToTensor` + `Normalize` (Phi-3-V): x = u8/255 in fp32, then (x − mean)/std in fp32.
    static func torchvisionTables(mean: [Float], std: [Float]) -> [[Float]] {
        (0..<3).map { c in (0..<256).map { v in (Float(v) / 255 - mean[c]) / std[c] } }
    }

    /// transformers' slow image processor (LLaVA-NeXT): x = fp32(f64(u8)·rescale), then (x − mean)/std in fp32.
    static func transformersTables(rescale: Double, mean: [Float], std: [Float]) -> [[Float]] {
        (0..<3).map { c in (0..<256).map { v in (Float(Double(v) * rescale) - mean[c]) / std[c] } }
    }

    /// Writes the `width × height` region at (x0, y0) of `image` as CHW floats at `out[offset...]`.
    static func apply(_ tables: [[Float]], _ image: RGBImage, x0: Int = 0, y0: Int = 0, width: Int? = nil, height: Int? = nil,
                      into out: inout [Float], at offset: Int) {
        let w = width ?? image.width, h = height ?? image.height
        let plane = w * h
        image.pixels.withUnsafeBufferPointer { px in
            out.withUnsafeMutableBufferPointer { dst in
                tables[0].withUnsafeBufferPointer { t0 in tables[1].withUnsafeBufferPointer { t1 in tables[2].withUnsafeBufferPointer { t2 in
                    for y in 0..<h {
                        var s = ((y0 + y) * image.width + x0) * 3
                        let row = offset + y * w
                        for x in 0..<w {
                            dst[row + x] = t0[Int(px[s])]
                            dst[row + plane + x] = t1[Int(px[s + 1])]
                            dst[row + 2 * plane + x] = t2[Int(px[s + 2])]
                            s += 3
                        }
                    }
                } } }
            }
        }
    }
}
