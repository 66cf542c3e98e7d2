import TensorFormats

/// Decodes image files to 8-bit RGB exactly as PIL's `Image.open(path).convert("RGB")` does
/// (Pillow 11.2.1): PNG of every colour type and bit depth, baseline and progressive JPEG.
///
/// - The format is chosen by magic bytes, never by extension.
/// - The image size is read from the header and checked against `maxPixels` before any
///   pixel memory is allocated.
/// - No EXIF orientation and no colour management are applied (PIL applies neither).
/// - Every failure (missing, truncated, corrupt, unsupported, too large) is a one-line
///   `FormatError` naming the file.
public enum ImageDecoder {
    /// The default pixel limit: 64 megapixels.
    public static let defaultMaxPixels = 64_000_000

    /// The image container, from the first bytes of the file.
    public enum Format: String, Sendable, Equatable {
        case png, jpeg
    }

    /// Decodes the file at `path`.
    public static func decode(contentsOf path: String, maxPixels: Int = defaultMaxPixels) throws -> RGBImage {
        let file = try MappedFile(path: path)
        return try decode(file.bytes, name: path, maxPixels: maxPixels)
    }

    /// Decodes an in-memory file; `name` is used in error messages.
    public static func decode(_ bytes: [UInt8], name: String, maxPixels: Int = defaultMaxPixels) throws -> RGBImage {
        try bytes.withUnsafeBytes { try decode($0, name: name, maxPixels: maxPixels) }
    }

    /// Decodes an in-memory file; `name` is used in error messages.
    public static func decode(_ bytes: UnsafeRawBufferPointer, name: String, maxPixels: Int = defaultMaxPixels) throws -> RGBImage {
        let format = try sniff(bytes, name: name)
        let (width, height) = try headerSize(bytes, format: format, name: name)
        try checkLimit(width: width, height: height, maxPixels: maxPixels, name: name)
        switch format {
        case .png: return try PNGDecoder.decode(bytes, width: width, height: height, name: name)
        case .jpeg: return try JPEGDecoder.decode(bytes, width: width, height: height, name: name)
        }
    }

    /// Reads only the header: the format and the (width, height) it declares.
    public static func probe(contentsOf path: String) throws -> (format: Format, width: Int, height: Int) {
        let file = try MappedFile(path: path)
        let format = try sniff(file.bytes, name: path)
        let (w, h) = try headerSize(file.bytes, format: format, name: path)
        return (format, w, h)
    }

    /// Reads only the header of an in-memory file: the format and the (width, height) it declares.
    public static func probe(_ bytes: UnsafeRawBufferPointer, name: String) throws -> (format: Format, width: Int, height: Int) {
        let format = try sniff(bytes, name: name)
        let (w, h) = try headerSize(bytes, format: format, name: name)
        return (format, w, h)
    }

    /// The format from the magic bytes.
    static func sniff(_ bytes: UnsafeRawBufferPointer, name: String) throws -> Format {
        if bytes.isEmpty { throw FormatError(name, "empty file, not an image") }
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        if bytes.count >= 8, zip(bytes.prefix(8), png).allSatisfy({ $0 == $1 }) { return .png }
        if bytes.count >= 3, bytes[0] == 0xFF, bytes[1] == 0xD8, bytes[2] == 0xFF { return .jpeg }
        throw FormatError(name, "not a PNG or JPEG file (unrecognized magic bytes)")
    }

    static func headerSize(_ bytes: UnsafeRawBufferPointer, format: Format, name: String) throws -> (Int, Int) {
        switch format {
        case .png: return try PNGDecoder.headerSize(bytes, name: name)
        case .jpeg: return try JPEGDecoder.headerSize(bytes, name: name)
        }
    }

    static func checkLimit(width: Int, height: Int, maxPixels: Int, name: String) throws {
        guard width > 0, height > 0 else {
            throw FormatError(name, "image header declares an empty size \(width)x\(height)")
        }
        // A side past JPEG's own limit is refused too: with 64 MP that bounds the aspect ratio, and
        // with it the resampling tables a backbone's resize of the image needs.
        guard width <= InputLimits.maxImageSide, height <= InputLimits.maxImageSide else {
            throw FormatError(name, "image is \(width)x\(height) pixels, a side above the limit of \(InputLimits.maxImageSide); refusing to decode")
        }
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        if overflow || pixels > maxPixels {
            throw FormatError(name, "image is \(width)x\(height) pixels, above the limit of \(maxPixels) pixels; refusing to decode")
        }
    }
}
