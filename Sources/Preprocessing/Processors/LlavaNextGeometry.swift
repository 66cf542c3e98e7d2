import TensorFormats

/// The anyres geometry LLaVA-NeXT's processor computes for one image of original size (H, W):
/// the best grid pinpoint, the resize target inside it, the black padding, the patch count,
/// and the image-token count after unpadding (the processor's integer rule).
public struct LlavaNextGeometry: Sendable, Equatable {
    /// Side of one patch (the CLIP input size).
    public static let patchSize = 336
    /// CLIP patch tokens per side of one 336 patch (336 / 14).
    public static let tokensPerSide = 24

    public let originalHeight: Int
    public let originalWidth: Int
    /// The chosen pinpoint (height, width).
    public let gridHeight: Int
    public let gridWidth: Int
    /// Size after the aspect-preserving resize into the pinpoint.
    public let resizedHeight: Int
    public let resizedWidth: Int
    public let padTop: Int
    public let padLeft: Int

    /// - Parameter pinpoints: `image_grid_pinpoints` as (height, width) pairs, in file order.
    public init(height: Int, width: Int, pinpoints: [(Int, Int)]) throws(PreprocessingError) {
        guard height > 0, width > 0 else { throw PreprocessingError("image has an empty size \(width)x\(height)") }
        guard !pinpoints.isEmpty else { throw PreprocessingError("image_grid_pinpoints is empty") }
        try LlavaNextGeometry.checkPinpoints(pinpoints)
        originalHeight = height
        originalWidth = width
        let best = LlavaNextGeometry.bestResolution(height: height, width: width, pinpoints: pinpoints)
        gridHeight = best.0
        gridWidth = best.1
        guard gridHeight % LlavaNextGeometry.patchSize == 0, gridWidth % LlavaNextGeometry.patchSize == 0 else {
            throw PreprocessingError("pinpoint \(gridHeight)x\(gridWidth) is not a multiple of \(LlavaNextGeometry.patchSize)")
        }
        let sw = Double(gridWidth) / Double(width)
        let sh = Double(gridHeight) / Double(height)
        if sw < sh {
            resizedWidth = gridWidth
            resizedHeight = min(Int((Double(height) * sw).rounded(.up)), gridHeight)
        } else {
            resizedHeight = gridHeight
            resizedWidth = min(Int((Double(width) * sh).rounded(.up)), gridWidth)
        }
        padTop = (gridHeight - resizedHeight) / 2
        padLeft = (gridWidth - resizedWidth) / 2
    }

    /// Refuses pinpoint lists past `InputLimits`: more than `maxPinpoints` entries, or an entry that
    /// is not a positive multiple of 336 on each side or holds more than `maxPinpointTiles` tiles
    /// (the anyres patches of one image, and with them its pixels and tokens, are bounded so).
    public static func checkPinpoints(_ pinpoints: [(Int, Int)]) throws(PreprocessingError) {
        guard pinpoints.count <= InputLimits.maxPinpoints else {
            throw PreprocessingError("image_grid_pinpoints has \(pinpoints.count) entries, above the limit of \(InputLimits.maxPinpoints)")
        }
        let side = patchSize * InputLimits.maxPinpointTiles
        for (h, w) in pinpoints {
            guard h > 0, w > 0, h <= side, w <= side, h % patchSize == 0, w % patchSize == 0,
                  (h / patchSize) * (w / patchSize) <= InputLimits.maxPinpointTiles else {
                throw PreprocessingError("image_grid_pinpoints entry [\(h), \(w)] must be positive multiples of \(patchSize) with at most \(InputLimits.maxPinpointTiles) tiles")
            }
        }
    }

    /// `select_best_resolution`: maximise the effective resolution, then minimise waste; a full tie keeps the first.
    public static func bestResolution(height: Int, width: Int, pinpoints: [(Int, Int)]) -> (Int, Int) {
        var best = pinpoints[0]
        var bestEffective = -1
        var bestWaste = Int.max
        for (ph, pw) in pinpoints {
            let scale = min(Double(pw) / Double(width), Double(ph) / Double(height))
            let dw = Int(Double(width) * scale)
            let dh = Int(Double(height) * scale)
            let effective = min(dw * dh, width * height)
            let waste = ph * pw - effective
            if effective > bestEffective || (effective == bestEffective && waste < bestWaste) {
                best = (ph, pw)
                bestEffective = effective
                bestWaste = waste
            }
        }
        return best
    }

    /// Grid tiles (excluding the base patch).
    public var tileRows: Int { gridHeight / LlavaNextGeometry.patchSize }
    public var tileColumns: Int { gridWidth / LlavaNextGeometry.patchSize }
    /// Patches fed to CLIP: the squashed base image plus the tiles.
    public var patchCount: Int { 1 + tileRows * tileColumns }

    /// Rows and columns of the tile-feature grid kept after unpadding (integer rule).
    public var unpaddedGrid: (rows: Int, columns: Int) {
        let ch = LlavaNextGeometry.tokensPerSide * tileRows
        let cw = LlavaNextGeometry.tokensPerSide * tileColumns
        // Compare W/H > cw/ch exactly: W·ch > cw·H.
        if originalWidth * ch > cw * originalHeight {
            let newHeight = originalHeight * cw / originalWidth
            let pad = (ch - newHeight) / 2
            return (ch - 2 * pad, cw)
        } else {
            let newWidth = originalWidth * ch / originalHeight
            let pad = (cw - newWidth) / 2
            return (ch, cw - 2 * pad)
        }
    }

    /// N = 576 + H′·(W′ + 1): base tokens, then each kept row with its newline token.
    public var imageTokenCount: Int {
        let g = unpaddedGrid
        return LlavaNextGeometry.tokensPerSide * LlavaNextGeometry.tokensPerSide + g.rows * (g.columns + 1)
    }
}
