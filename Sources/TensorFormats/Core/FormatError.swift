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

    /// `file: problem`, with control characters from either escaped (`TerminalText`), so a name
    /// read from a hostile file cannot drive the terminal the message is printed on.
    public var description: String { TerminalText.escaped("\(file): \(problem)") }
}
