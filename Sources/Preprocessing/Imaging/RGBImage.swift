/// An 8-bit RGB image, row-major, 3 interleaved channels (what PIL's `convert("RGB")` gives).
public struct RGBImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// `height * width * 3` bytes, row by row, R G B per pixel.
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && pixels.count == width * height * 3, "RGBImage: pixel count does not match size")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// An image filled with one color.
    public init(width: Int, height: Int, fill: (UInt8, UInt8, UInt8)) {
        self.width = width
        self.height = height
        let count = width * height * 3
        if fill.0 == fill.1 && fill.1 == fill.2 {
            pixels = [UInt8](repeating: fill.0, count: count)
            return
        }
        pixels = [UInt8](unsafeUninitializedCapacity: count) { buf, initialized in
            guard let base = buf.baseAddress, count > 0 else { initialized = 0; return }
            base[0] = fill.0; base[1] = fill.1; base[2] = fill.2
            // Double the filled prefix until the buffer is full.
            var filled = 3
            while filled < count {
                let n = min(filled, count - filled)
                (base + filled).initialize(from: base, count: n)
                filled += n
            }
            initialized = count
        }
    }
}
