import ArgumentParser
import Bundle
import Preprocessing
import TensorFormats

struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tokenize text with a model's tokenizer (Hugging Face folder or GGUF vocabulary).",
        discussion: "One output line per input: id, ids (with BOS unless --no-special) and pieces."
    )

    @Option(help: "Model folder (tokenizer.json or tokenizer.model) or .gguf file.")
    var model: String

    @Option(help: "Text to tokenize.")
    var text: String?

    @Option(help: "JSON-lines file of {\"id\", \"text\"} objects.")
    var input: String?

    @Flag(help: "Do not add BOS/EOS.")
    var noSpecial = false

    @Flag(help: "Print JSON lines {\"id\", \"ids\", \"tokens\"}.")
    var json = false

    func run() throws {
        try CLI.run {
            guard (text == nil) != (input == nil) else { throw ValidationError("give exactly one of --text or --input") }
            let tokenizer = ModelSource.isBundle(model)
                ? try { let b = try BundleFile(path: model); return try Tokenizer.load(origin: model) { try b.verifiedEmbeddedFile($0) } }()
                : try Tokenizer.load(model: model)
            let items: [(String, String)] = try text.map { [("text", $0)] }
                ?? EmbeddingRequest.readJSONLines(input ?? "").map { ($0.id, $0.text) }
            for (id, t) in items {
                let ids = tokenizer.encode(t, addSpecialTokens: !noSpecial)
                let pieces = ids.map { tokenizer.piece(forID: $0) ?? "<\($0)>" }
                if json {
                    CLI.output(JSONValue.object([("id", .string(id)), ("ids", .array(ids.map { .int($0) })),
                                                 ("tokens", .array(pieces.map { .string($0) }))]).serialized())
                } else {
                    CLI.output("\(id)\t\(ids.map(String.init).joined(separator: " "))\t\(pieces.joined(separator: " "))")
                }
            }
        }
    }
}
