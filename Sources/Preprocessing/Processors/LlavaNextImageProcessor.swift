/// LLaVA-NeXT's slow image processor (`LlavaNextImageProcessor`), exactly: best pinpoint, Pillow
/// bicubic resize into it (ceil rounding), black padding centred, 336×336 tiles row-major, the base
/// patch = the whole image squashed to 336×336 by Pillow bicubic; rescale in float64, normalise in fp32.
public struct LlavaNextImageProcessor: Sendable {
    /// `image_grid_pinpoints` as (height, width).
    public var pinpoints: [(Int, Int)]
    public var mean: [Float]
    public var std: [Float]
    public var rescaleFactor: Double

    public init(pinpoints: [(Int, Int)], mean: [Float] = Phi3VImageProcessor.clipMean, std: [Float] = Phi3VImageProcessor.clipStd,
                rescaleFactor: Double = 0.00392156862745098) {
        self.pinpoints = pinpoints
        self.mean = mean
        self.std = std
        self.rescaleFactor = rescaleFactor
    }

    /// One processed image: `pixels` holds `patchCount` patches of `[3 × 336 × 336]`, base first.
    public struct Output: Sendable {
        public let geometry: LlavaNextGeometry
        public let pixels: [Float]
        public var patches: Int { geometry.patchCount }
        /// `image_sizes` as upstream reports it: the original (height, width).
        public var imageSize: (height: Int, width: Int) { (geometry.originalHeight, geometry.originalWidth) }
        public var tokenCount: Int { geometry.imageTokenCount }
    }

    public func process(_ image: RGBImage) throws(PreprocessingError) -> Output {
        try PixelNormalization.check(mean: mean, std: std)
        let g = try LlavaNextGeometry(height: image.height, width: image.width, pinpoints: pinpoints)
        let s = LlavaNextGeometry.patchSize
        let resized = image.resized(width: g.resizedWidth, height: g.resizedHeight, filter: .bicubic)
        let padded = resized.padded(top: g.padTop, bottom: g.gridHeight - g.resizedHeight - g.padTop,
                                    left: g.padLeft, right: g.gridWidth - g.resizedWidth - g.padLeft, color: (0, 0, 0))
        let base = image.resized(width: s, height: s, filter: .bicubic)
        let patchLen = 3 * s * s
        var pixels = [Float](repeating: 0, count: g.patchCount * patchLen)
        let tables = PixelNormalization.transformersTables(rescale: rescaleFactor, mean: mean, std: std)
        PixelNormalization.apply(tables, base, into: &pixels, at: 0)
        for a in 0..<g.tileRows {
            for b in 0..<g.tileColumns {
                PixelNormalization.apply(tables, padded, x0: b * s, y0: a * s, width: s, height: s, into: &pixels,
                                         at: (1 + a * g.tileColumns + b) * patchLen)
            }
        }
        return Output(geometry: g, pixels: pixels)
    }
}
