import TensorFormats

/// One side of a comparison: a text (in the MMEB data's Phi-3 marker convention) and an optional
/// image path relative to the images root (`""` when there is no image), exactly as the row holds them.
public struct EvalInput: Hashable, Sendable {
    public var text: String
    public var imagePath: String

    public init(text: String, imagePath: String = "") {
        self.text = text
        self.imagePath = imagePath
    }

    public var hasImage: Bool { !imagePath.isEmpty }
}

/// One MMEB-eval row: a query and its candidates, candidate 0 being the ground truth.
public struct EvalRow: Sendable, Equatable {
    /// 1-based line number in the dataset's JSON-lines file.
    public var line: Int
    public var query: EvalInput
    public var candidates: [EvalInput]

    public init(line: Int, query: EvalInput, candidates: [EvalInput]) {
        self.line = line
        self.query = query
        self.candidates = candidates
    }
}

/// Why a row cannot be evaluated: names the dataset, the file and line, and the reason.
public struct EvalProblem: Error, CustomStringConvertible, Sendable, Equatable {
    public var dataset: String
    public var file: String
    public var line: Int
    public var reason: String

    public init(dataset: String, file: String, line: Int, reason: String) {
        self.dataset = dataset
        self.file = file
        self.line = line
        self.reason = reason
    }

    public var description: String { TerminalText.escaped("\(file):\(line): dataset \(dataset): \(reason)") }
}
