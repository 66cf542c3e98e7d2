import TensorFormats

/// The cache key of one model input: SHA-256 of the prompt exactly as the model sees it (after the
/// image-marker substitution) and of the image file's bytes. Content, not path, identifies an
/// image, so moving the images root or renaming a file keeps the cache valid, and replacing an
/// image's bytes invalidates only the inputs that use it.
public struct InputKey: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) {
        precondition(bytes.count == 32, "InputKey: 32 bytes")
        self.bytes = bytes
    }

    public var description: String { SHA256.hex(bytes) }

    /// The key of `text` with an optional image whose content digest is `imageDigest`.
    public static func make(text: String, imageDigest: String?) -> InputKey {
        var h = SHA256()
        h.update(Array("vlmembed-eval-input-1\u{0}".utf8))
        h.update(Array(text.utf8))
        h.update([0])
        h.update(Array((imageDigest.map { "image:" + $0 } ?? "no-image").utf8))
        return InputKey(bytes: h.finalize())
    }
}

/// Computes input keys, hashing each image file once per run.
public final class InputKeyer {
    private var imageDigests: [String: String] = [:]

    public init() {}

    /// The key of a request: `text` as sent to the model, `imageFile` the resolved path or nil.
    public func key(text: String, imageFile: String?) throws -> InputKey {
        guard let imageFile else { return InputKey.make(text: text, imageDigest: nil) }
        return InputKey.make(text: text, imageDigest: try digest(of: imageFile))
    }

    func digest(of path: String) throws -> String {
        if let known = imageDigests[path] { return known }
        let file = try MappedFile(path: path)
        let hex = withExtendedLifetime(file) {
            var h = SHA256()
            h.update(file.bytes)
            return SHA256.hex(h.finalize())
        }
        imageDigests[path] = hex
        return hex
    }
}
