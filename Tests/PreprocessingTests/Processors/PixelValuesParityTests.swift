import Testing
import Preprocessing
import TensorFormats

/// `pixel_values` and `image_sizes` of every reference case with images, recomputed from the image
/// files: within 1e-5 of upstream everywhere they are stored (full tensors, flat samples, and the
/// per-crop mean/std/min/max statistics).
@Suite struct PixelValuesParityTests {
    static let pinpoints = [(336, 672), (672, 336), (672, 672), (1008, 336), (336, 1008)]

    static var imageCases: [String] {
        ReferenceCases.cases.filter { c in (c["rows"]?.arrayValue ?? []).contains { $0["image"]?.stringValue != nil } }
            .compactMap { $0["id"]?.stringValue }
    }

    @Test(arguments: imageCases)
    func pixelValuesMatchUpstream(id: String) throws {
        let c = try #require(ReferenceCases.cases.first { $0["id"]?.stringValue == id })
        let backbone = c["backbone"]?.stringValue ?? ""
        let file = try SafetensorsFile(path: ReferenceCases.root + "/" + (c["file"]?.stringValue ?? ""))
        let info = try #require(c["tensors"]?["pixel_values"])
        let shape = info["shape"]?.arrayValue?.compactMap { $0.intValue } ?? []
        let slots = shape[1], perCrop = shape[2] * shape[3] * shape[4]
        var ours = [Float](repeating: 0, count: shape.reduce(1, *))
        var sizes: [Int] = []
        var image = 0
        for row in c["rows"]?.arrayValue ?? [] {
            guard let rel = row["image_file"]?.stringValue else {
                if backbone == "llava_next" { image += 1 }  // llava batches keep a slot per row
                continue
            }
            let rgb = try ImageDecoder.decode(contentsOf: ReferenceCases.root + "/" + rel)
            let pixels: [Float]
            if backbone == "phi3_v" {
                let out = try Phi3VImageProcessor(numCrops: c["num_crops"]?.intValue ?? 4).process(rgb)
                pixels = out.pixels
                sizes += [out.imageSize.height, out.imageSize.width]
            } else {
                let out = try LlavaNextImageProcessor(pinpoints: Self.pinpoints).process(rgb)
                pixels = out.pixels
                sizes += [out.imageSize.height, out.imageSize.width]
            }
            #expect(pixels.count <= slots * perCrop)
            ours.replaceSubrange((image * slots * perCrop)..<(image * slots * perCrop + pixels.count), with: pixels)
            image += 1
        }
        let refSizes = try file.floats(named: "image_sizes").map { Int($0) }
        #expect(sizes == refSizes, "\(id): image_sizes")

        var maxErr: Float = 0
        var compared = 0
        if info["storage"]?.stringValue == "full" {
            let ref = try file.floats(named: "pixel_values")
            for i in 0..<ref.count { maxErr = max(maxErr, abs(ref[i] - ours[i])) }
            compared = ref.count
        } else {
            let idx = try file.floats(named: info["index"]?.stringValue ?? "").map { Int($0) }
            let vals = try file.floats(named: info["stored_as"]?.stringValue ?? "")
            for (k, i) in idx.enumerated() { maxErr = max(maxErr, abs(vals[k] - ours[i])) }
            compared = idx.count
        }
        #expect(maxErr <= 1e-5, "\(id): pixel_values max abs error \(maxErr) over \(compared) values")

        // Per (image, crop, channel) statistics of the full tensor.
        let stats = try file.floats(named: "pixel_values::crop_stats")
        let plane = shape[3] * shape[4]
        var statErr: Float = 0
        for ic in 0..<(shape[0] * slots) {
            for ch in 0..<3 {
                let base = ic * perCrop + ch * plane
                var sum = 0.0, sq = 0.0, mn = Float.infinity, mx = -Float.infinity
                for i in 0..<plane { let v = ours[base + i]; sum += Double(v); sq += Double(v) * Double(v); mn = min(mn, v); mx = max(mx, v) }
                let mean = sum / Double(plane)
                let std = ((sq / Double(plane) - mean * mean) * Double(plane) / Double(plane - 1)).squareRoot()
                let r = (ic * 3 + ch) * 4
                statErr = max(statErr, abs(Float(mean) - stats[r]), abs(mn - stats[r + 2]), abs(mx - stats[r + 3]))
                statErr = max(statErr, abs(Float(std.isNaN ? 0 : std) - stats[r + 1]))
            }
        }
        #expect(statErr <= 1e-5, "\(id): crop statistics max error \(statErr)")
        print("pixels \(id): max abs error \(maxErr) over \(compared) stored values; crop-stat error \(statErr)")
    }
}
