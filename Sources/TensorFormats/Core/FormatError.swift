/// An error raised while reading or writing a checkpoint file.
///
/// Its description is one line that names the file and the problem, e.g.
/// `model.safetensors: header length 120000000 exceeds the 100000000-byte limit`.
public struct FormatError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file (or request) the problem is in.
    public var file: String
    /// What is wrong, in words.
    public var problem: String

    public init(_ file: String, _ problem: String) {
        self.file = file
        self.problem = problem
    }

    public var description: String { "\(file): \(problem)" }
}
