/// Phi-3-V's image processor (`Phi3VImageProcessor`), exactly: HD transform (transpose portrait
/// images, Pillow bilinear resize to 336·s wide, white padding to a multiple of 336, transpose back),
/// ToTensor/Normalize in fp32, the 336×336 global view by torch bicubic interpolation of the
/// normalised HD image, then the HD crops row-major.
public struct Phi3VImageProcessor: Sendable {
    public var numCrops: Int
    public var mean: [Float]
    public var std: [Float]

    public static let clipMean: [Float] = [0.48145466, 0.4578275, 0.40821073]
    public static let clipStd: [Float] = [0.26862954, 0.26130258, 0.27577711]

    public init(numCrops: Int = 4, mean: [Float] = clipMean, std: [Float] = clipStd) {
        self.numCrops = numCrops
        self.mean = mean
        self.std = std
    }

    /// One processed image: `pixels` holds `1 + rows·columns` crops of `[3 × 336 × 336]`
    /// (the global view first); the zero crops upstream pads with are not materialised.
    public struct Output: Sendable {
        public let geometry: Phi3VHDGeometry
        public let pixels: [Float]
        public var crops: Int { 1 + geometry.cropRows * geometry.cropColumns }
        /// `image_sizes` as upstream reports it: the HD size (height, width).
        public var imageSize: (height: Int, width: Int) { (geometry.hdHeight, geometry.hdWidth) }
        public var tokenCount: Int { geometry.imageTokenCount }
    }

    public func process(_ image: RGBImage) throws(PreprocessingError) -> Output {
        let g = try Phi3VHDGeometry(width: image.width, height: image.height, numCrops: numCrops)
        let s = Phi3VHDGeometry.cropSize
        var work = g.transposed ? image.transposed() : image
        work = work.resized(width: g.resizedWidth, height: g.resizedHeight, filter: .bilinear)
        work = work.padded(top: g.padTop, bottom: g.padBottom, left: 0, right: 0, color: (255, 255, 255))
        if g.transposed { work = work.transposed() }
        let hdH = work.height, hdW = work.width
        // Every element of `hd` and `pixels` is written below, so skip the zero-fill.
        var hd = [Float](unsafeUninitializedCapacity: 3 * hdH * hdW) { _, n in n = 3 * hdH * hdW }
        PixelNormalization.apply(PixelNormalization.torchvisionTables(mean: mean, std: std), work, into: &hd, at: 0)
        let crops = 1 + g.cropRows * g.cropColumns
        let cropLen = 3 * s * s
        var pixels = [Float](unsafeUninitializedCapacity: crops * cropLen) { _, n in n = crops * cropLen }
        let global = TorchBicubic.interpolate(hd, channels: 3, height: hdH, width: hdW, outHeight: s, outWidth: s)
        pixels.replaceSubrange(0..<cropLen, with: global)
        pixels.withUnsafeMutableBufferPointer { dst in
            hd.withUnsafeBufferPointer { src in
                for a in 0..<g.cropRows {
                    for b in 0..<g.cropColumns {
                        let base = (1 + a * g.cropColumns + b) * cropLen
                        for c in 0..<3 {
                            for y in 0..<s {
                                (dst.baseAddress! + base + c * s * s + y * s)
                                    .update(from: src.baseAddress! + c * hdH * hdW + (a * s + y) * hdW + b * s, count: s)
                            }
                        }
                    }
                }
            }
        }
        return Output(geometry: g, pixels: pixels)
    }
}
