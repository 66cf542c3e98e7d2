/// Phi-3-V's image processor (`Phi3VImageProcessor`), exactly: HD transform (transpose portrait
/// images, Pillow bilinear resize to 336·s wide, white padding to a multiple of 336, transpose back),
/// ToTensor/Normalize in fp32, the 336×336 global view by torch bicubic interpolation of the
/// normalised HD image, then the HD crops row-major.
///
/// The normalised HD image is never materialised: it is written one row at a time straight into the
/// crops it belongs to (white rows and columns are a constant per channel), and each row is fed from
/// there to the bicubic global view (`TorchBicubic.RowStream`). That gives the same numbers as the
/// step-by-step pipeline with a fraction of the memory traffic.
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
        try PixelNormalization.check(mean: mean, std: std)
        let g = try Phi3VHDGeometry(width: image.width, height: image.height, numCrops: numCrops)
        let s = Phi3VHDGeometry.cropSize
        // The resized image in the original orientation; white fills the rest of the HD canvas:
        // rows above/below it (landscape) or columns left/right of it (portrait, transposed back).
        var content = g.transposed ? image.transposed() : image
        content = content.resized(width: g.resizedWidth, height: g.resizedHeight, filter: .bilinear)
        if g.transposed { content = content.transposed() }
        let hdW = g.hdWidth, hdH = g.hdHeight
        let left = g.transposed ? g.padTop : 0, top = g.transposed ? 0 : g.padTop
        let tables = PixelNormalization.flattened(PixelNormalization.torchvisionTables(mean: mean, std: std))
        let white = [tables[255], tables[256 + 255], tables[512 + 255]]
        let columns = g.cropColumns
        let crops = 1 + g.cropRows * columns
        let cropLen = 3 * s * s
        // Every value the global view sees is a table entry, so the tables' grid bounds them all. It
        // reads each HD row where it lies in the crops: pieces of s values, one crop (cropLen) apart.
        let global = TorchBicubic.RowStream(channels: 3, height: hdH, width: hdW, outHeight: s, outWidth: s,
                                            values: FloatGrid(tables), segments: .init(length: s, stride: cropLen))
        let contentRight = left + content.width
        let pixels = [Float](unsafeUninitializedCapacity: crops * cropLen) { buf, initialized in
            content.pixels.withUnsafeBufferPointer { px in
                tables.withUnsafeBufferPointer { t in
                    guard let out = buf.baseAddress, let src = px.baseAddress, let t = t.baseAddress else { return }
                    for y in 0..<hdH {
                        // HD row y of channel c is row y % s of plane c in crops (y / s, b) for every column b.
                        let row = out + (1 + (y / s) * columns) * cropLen + (y % s) * s
                        if y >= top && y < top + content.height {
                            let line = src + (y - top) * content.width * 3
                            for b in 0..<columns {
                                let lo = b * s, hi = lo + s
                                // This crop's piece of the row: white, then content columns from..<to, then white.
                                let from = min(max(left, lo), hi), to = max(min(contentRight, hi), from)
                                let piece = row + b * cropLen
                                for c in 0..<3 {
                                    (piece + c * s * s).initialize(repeating: white[c], count: from - lo)
                                    (piece + c * s * s + (to - lo)).initialize(repeating: white[c], count: hi - to)
                                }
                                if to > from {
                                    PixelNormalization.normalizeRow(line + (from - left) * 3, count: to - from, tables: t,
                                                                    red: piece + (from - lo), green: piece + s * s + (from - lo),
                                                                    blue: piece + 2 * s * s + (from - lo))
                                }
                            }
                            for c in 0..<3 { global.push(channel: c, row: y, values: row + c * s * s, into: out) }
                        } else {
                            for c in 0..<3 {
                                for b in 0..<columns { (row + b * cropLen + c * s * s).initialize(repeating: white[c], count: s) }
                                global.pushConstant(channel: c, row: y, value: white[c], into: out)
                            }
                        }
                    }
                }
            }
            initialized = crops * cropLen
        }
        return Output(geometry: g, pixels: pixels)
    }
}
