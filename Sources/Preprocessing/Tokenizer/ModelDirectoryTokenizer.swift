import TensorFormats

extension Tokenizer {
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
}
