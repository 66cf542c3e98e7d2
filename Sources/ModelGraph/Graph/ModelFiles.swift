import TensorFormats

/// A model's files other than its weights — tokenizer files, `config.json`,
/// `preprocessor_config.json` — by name, wherever they live (a model folder, a bundle).
public struct ModelFiles: Sendable {
    /// Names the container in error messages (a folder or a bundle path).
    public let origin: String
    private let read: @Sendable (String) throws -> [UInt8]?

    /// Files served by `read` (nil for a file that is not there).
    public init(origin: String, read: @escaping @Sendable (String) throws -> [UInt8]?) {
        self.origin = origin
        self.read = read
    }

    /// The files of a model folder.
    public static func directory(_ path: String) -> ModelFiles {
        ModelFiles(origin: path) { name in
            let full = path + "/" + name
            guard FileSystem.isFile(full) else { return nil }
            let f = try MappedFile(path: full)
            return withExtendedLifetime(f) { [UInt8](f.bytes) }
        }
    }

    /// The bytes of `name`, or nil when the model has no such file.
    public func bytes(_ name: String) throws -> [UInt8]? { try read(name) }
}
