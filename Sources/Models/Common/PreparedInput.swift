/// One request as the forward pass consumes it: token ids with image slots marked the way the
/// architecture marks them (Phi-3-V: negative ids; LLaVA-NeXT: the image token id), and the
/// preprocessed pixels of each image in prompt order.
public struct PreparedInput: Sendable {
    public var inputIds: [Int]
    public var images: [PreparedImage]

    public init(inputIds: [Int], images: [PreparedImage] = []) {
        self.inputIds = inputIds
        self.images = images
    }
}

/// One image's normalised pixels, `[crops × 3 × S × S]`, and how its crops are laid out.
public struct PreparedImage: Sendable {
    public var pixels: [Float]
    public var crops: Int
    public var layout: Layout

    public enum Layout: Sendable, Equatable {
        /// Phi-3-V: crop 0 is the global view, then `rows × columns` HD sub-crops row-major.
        case phi3HD(rows: Int, columns: Int)
        /// LLaVA-NeXT: crop 0 is the squashed base image, then the `rows × columns` anyres tiles;
        /// the original size drives unpadding.
        case llavaAnyres(rows: Int, columns: Int, originalHeight: Int, originalWidth: Int)
    }

    public init(pixels: [Float], crops: Int, layout: Layout) {
        self.pixels = pixels
        self.crops = crops
        self.layout = layout
    }
}
