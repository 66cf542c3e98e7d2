import TensorFormats

extension Tokenizer {
    /// The files a model's tokenizer may consist of, in the order `load(files:)` looks for them.
    public static let fileNames = ["tokenizer.gguf", "tokenizer.json", "tokenizer_config.json", "tokenizer.model", "added_tokens.json", "special_tokens_map.json"]

    /// The tokenizer of a Hugging Face model folder: `tokenizer.json` when present, else a
    /// SentencePiece `tokenizer.model` plus `added_tokens.json`.
    public static func load(modelDirectory dir: String) throws -> Tokenizer {
        if FileSystem.isFile(dir + "/tokenizer.json") { return try Tokenizer(huggingFaceJSON: dir + "/tokenizer.json") }
        if FileSystem.isFile(dir + "/tokenizer.model") {
            var t = try Tokenizer(sentencePieceModel: dir + "/tokenizer.model")
            if FileSystem.isFile(dir + "/added_tokens.json") { try t.addTokens(fromAddedTokensJSON: dir + "/added_tokens.json") }
            return t
        }
        throw FormatError(dir, "no tokenizer found (expected tokenizer.json or tokenizer.model)")
    }

    /// The same choice as `load(modelDirectory:)` over files held elsewhere (e.g. inside a bundle):
    /// `file(name)` returns a file's bytes or nil; `origin` names the container in errors. A
    /// `tokenizer.gguf` (a GGUF model's vocabulary) comes first.
    public static func load(origin: String, file: (String) throws -> [UInt8]?) throws -> Tokenizer {
        if let gguf = try file("tokenizer.gguf") { return try Tokenizer(ggufBytes: gguf, source: origin + ":tokenizer.gguf") }
        if let json = try file("tokenizer.json") {
            let config = try file("tokenizer_config.json")
            return try json.withUnsafeBytes { j in
                if let config { return try config.withUnsafeBytes { c in try Tokenizer(huggingFaceJSON: j, config: c, path: origin + ":tokenizer.json") } }
                return try Tokenizer(huggingFaceJSON: j, config: nil, path: origin + ":tokenizer.json")
            }
        }
        if let model = try file("tokenizer.model") {
            var t = try model.withUnsafeBytes { try Tokenizer(sentencePieceModel: $0, path: origin + ":tokenizer.model") }
            if let added = try file("added_tokens.json") {
                try added.withUnsafeBytes { try t.addTokens(fromAddedTokensJSON: $0, path: origin + ":added_tokens.json") }
            }
            return t
        }
        throw FormatError(origin, "no tokenizer found (expected tokenizer.gguf, tokenizer.json or tokenizer.model)")
    }
}
