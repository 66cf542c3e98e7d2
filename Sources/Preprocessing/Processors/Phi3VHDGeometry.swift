import TensorFormats

/// The sizes Phi-3-V's HD transform produces for one image (`image_processing_phi3_v.py`):
/// portrait images are transposed, the width becomes 336·s for the largest s with
/// s·⌈s/ratio⌉ ≤ num_crops, the height follows the aspect ratio (truncated), and is padded with
/// white to a multiple of 336 (floor of half on top); then the image is transposed back.
public struct Phi3VHDGeometry: Sendable, Equatable {
    /// Side of one crop.
    public static let cropSize = 336

    public let originalWidth: Int
    public let originalHeight: Int
    /// Whether the image was transposed (portrait input).
    public let transposed: Bool
    /// The crop-count factor s.
    public let scale: Int
    /// Resize target in the transposed (landscape) orientation.
    public let resizedWidth: Int
    public let resizedHeight: Int
    /// White rows added above and below (transposed orientation).
    public let padTop: Int
    public let padBottom: Int

    /// Computes the geometry; throws when the image is too thin to give a non-empty resize.
    public init(width: Int, height: Int, numCrops: Int) throws(PreprocessingError) {
        guard width > 0, height > 0 else { throw PreprocessingError("image has an empty size \(width)x\(height)") }
        guard numCrops >= 1, numCrops <= InputLimits.maxCrops else {
            throw PreprocessingError("num_crops must be within 1…\(InputLimits.maxCrops), got \(numCrops)")
        }
        originalWidth = width
        originalHeight = height
        transposed = width < height
        let w = transposed ? height : width
        let h = transposed ? width : height
        let ratio = Double(w) / Double(h)
        var s = 1
        while Double(s) * (Double(s) / ratio).rounded(.up) <= Double(numCrops) { s += 1 }
        s -= 1
        scale = s
        resizedWidth = Phi3VHDGeometry.cropSize * s
        resizedHeight = Int(Double(resizedWidth) / ratio)
        guard s >= 1, resizedHeight >= 1 else {
            throw PreprocessingError("image \(width)x\(height) is too elongated for the Phi-3-V HD transform (it would resize to \(resizedWidth)x\(resizedHeight))")
        }
        let target = (resizedHeight + Phi3VHDGeometry.cropSize - 1) / Phi3VHDGeometry.cropSize * Phi3VHDGeometry.cropSize
        padTop = (target - resizedHeight) / 2
        padBottom = target - resizedHeight - padTop
    }

    /// HD image height in the original orientation (a multiple of 336).
    public var hdHeight: Int { transposed ? resizedWidth : resizedHeight + padTop + padBottom }
    /// HD image width in the original orientation (a multiple of 336).
    public var hdWidth: Int { transposed ? resizedHeight + padTop + padBottom : resizedWidth }
    /// Crop rows (hc) and columns (wc).
    public var cropRows: Int { hdHeight / Phi3VHDGeometry.cropSize }
    public var cropColumns: Int { hdWidth / Phi3VHDGeometry.cropSize }

    /// T = (hc·wc + 1)·144 + 1 + (hc + 1)·12.
    public var imageTokenCount: Int { (cropRows * cropColumns + 1) * 144 + 1 + (cropRows + 1) * 12 }
}

/// A preprocessing failure; its description is one line.
public struct PreprocessingError: Error, CustomStringConvertible, Sendable, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { TerminalText.escaped(message) }
}
