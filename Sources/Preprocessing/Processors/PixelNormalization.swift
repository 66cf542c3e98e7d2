/// Conversion of 8-bit RGB crops to normalised CHW float32, the two ways upstream does it.
/// Each is a 256-entry table per channel holding exactly the fp32 result upstream computes for that
/// byte value, so the output is bit-identical and costs one lookup per sample.
enum PixelNormalization {
    /// Refuses `image_mean`/`image_std` that are not 3 finite values each (std non-zero).
    static func check(mean: [Float], std: [Float]) throws(PreprocessingError) {
        guard mean.count == 3, std.count == 3, mean.allSatisfy(\.isFinite), std.allSatisfy({ $0.isFinite && $0 != 0 }) else {
            throw PreprocessingError("image_mean \(mean) / image_std \(std) must be 3 finite values each (std non-zero)")
        }
    }

    /// torchvision `ToTensor` + `Normalize` (Phi-3-V): x = u8/255 in fp32, then (x − mean)/std in fp32.
    static func torchvisionTables(mean: [Float], std: [Float]) -> [[Float]] {
        (0..<3).map { c in (0..<256).map { v in (Float(v) / 255 - mean[c]) / std[c] } }
    }

    /// transformers' slow image processor (LLaVA-NeXT): x = fp32(f64(u8)·rescale), then (x − mean)/std in fp32.
    static func transformersTables(rescale: Double, mean: [Float], std: [Float]) -> [[Float]] {
        (0..<3).map { c in (0..<256).map { v in (Float(Double(v) * rescale) - mean[c]) / std[c] } }
    }

    /// The three tables back to back (768 values), the layout `normalizeRow` reads.
    static func flattened(_ tables: [[Float]]) -> [Float] {
        precondition(tables.count == 3 && tables.allSatisfy { $0.count == 256 }, "PixelNormalization: need 3 tables of 256")
        return tables[0] + tables[1] + tables[2]
    }

    /// Looks up `count` interleaved RGB pixels into three planes (`red`, `green`, `blue`).
    @inline(__always)
    static func normalizeRow(_ pixels: UnsafePointer<UInt8>, count: Int, tables: UnsafePointer<Float>,
                             red: UnsafeMutablePointer<Float>, green: UnsafeMutablePointer<Float>, blue: UnsafeMutablePointer<Float>) {
        let t0 = tables, t1 = tables + 256, t2 = tables + 512
        var p = pixels
        for x in 0..<count {
            red[x] = t0[Int(p[0])]
            green[x] = t1[Int(p[1])]
            blue[x] = t2[Int(p[2])]
            p += 3
        }
    }

    /// Writes the `width × height` region at (x0, y0) of `image` as CHW floats at `out[offset...]`.
    static func apply(_ tables: [[Float]], _ image: RGBImage, x0: Int = 0, y0: Int = 0, width: Int? = nil, height: Int? = nil,
                      into out: inout [Float], at offset: Int) {
        let w = width ?? image.width, h = height ?? image.height
        precondition(x0 >= 0 && y0 >= 0 && x0 + w <= image.width && y0 + h <= image.height && offset + 3 * w * h <= out.count,
                     "PixelNormalization.apply: region out of bounds")
        let plane = w * h
        let flat = flattened(tables)
        image.pixels.withUnsafeBufferPointer { px in
            out.withUnsafeMutableBufferPointer { dst in
                flat.withUnsafeBufferPointer { t in
                    guard let src = px.baseAddress, let base = dst.baseAddress, let tables = t.baseAddress else { return }
                    for y in 0..<h {
                        let row = base + offset + y * w
                        normalizeRow(src + ((y0 + y) * image.width + x0) * 3, count: w, tables: tables,
                                     red: row, green: row + plane, blue: row + 2 * plane)
                    }
                }
            }
        }
    }
}
