/// Conversion of 8-bit RGB crops to normalised CHW float32, the two ways upstream does it.
enum PixelNormalization {
    /// torchvision `ToTensor` + `Normalize` (Phi-3-V): x = u8/255 in fp32, then (x − mean)/std in fp32.
    static func torchvision(_ image: RGBImage, mean: [Float], std: [Float], into out: inout [Float], at offset: Int) {
        let plane = image.width * image.height
        image.pixels.withUnsafeBufferPointer { px in
            for c in 0..<3 {
                let m = mean[c], s = std[c]
                for i in 0..<plane {
                    let x = Float(px[3 * i + c]) / 255
                    out[offset + c * plane + i] = (x - m) / s
                }
            }
        }
    }

    /// transformers' slow image processor (LLaVA-NeXT): x = fp32(f64(u8)·rescale), then (x − mean)/std in fp32.
    static func transformers(_ image: RGBImage, rescale: Double, mean: [Float], std: [Float], into out: inout [Float], at offset: Int) {
        let plane = image.width * image.height
        var table = [Float](repeating: 0, count: 256)
        for v in 0..<256 { table[v] = Float(Double(v) * rescale) }
        image.pixels.withUnsafeBufferPointer { px in
            for c in 0..<3 {
                let m = mean[c], s = std[c]
                for i in 0..<plane { out[offset + c * plane + i] = (table[Int(px[3 * i + c])] - m) / s }
            }
        }
    }
}
