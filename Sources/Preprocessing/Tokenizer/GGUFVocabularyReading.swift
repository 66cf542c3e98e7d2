import TensorFormats

extension GGUFVocabulary {
    /// Reads the `tokenizer.ggml.*` keys of a GGUF file.
    public init(gguf: GGUFFile) throws {
        let path = gguf.path
        guard let model = gguf.string("tokenizer.ggml.model") else { throw FormatError(path, "no tokenizer.ggml.model: the file carries no vocabulary") }
        guard let tokens = gguf.stringArray("tokenizer.ggml.tokens") else { throw FormatError(path, "no tokenizer.ggml.tokens string array") }
        let scores = gguf.floatArray("tokenizer.ggml.scores")?.map { Float($0) } ?? [Float](repeating: 0, count: tokens.count)
        let types = gguf.intArray("tokenizer.ggml.token_type")?.map { Int32(truncatingIfNeeded: $0) } ?? [Int32](repeating: 1, count: tokens.count)
        guard scores.count == tokens.count, types.count == tokens.count else {
            throw FormatError(path, "tokenizer arrays disagree: \(tokens.count) tokens, \(scores.count) scores, \(types.count) types")
        }
        func id(_ key: String) -> Int? { gguf.uint("tokenizer.ggml." + key).map { Int($0) } }
        self.init(model: model, tokens: tokens, scores: scores, tokenTypes: types,
                  bosTokenID: id("bos_token_id"), eosTokenID: id("eos_token_id"), unknownTokenID: id("unknown_token_id"),
                  paddingTokenID: id("padding_token_id"),
                  addBOS: gguf.bool("tokenizer.ggml.add_bos_token") ?? true, addEOS: gguf.bool("tokenizer.ggml.add_eos_token") ?? false,
                  addSpacePrefix: gguf.bool("tokenizer.ggml.add_space_prefix") ?? true, source: path)
    }
}

extension Tokenizer {
    /// The tokenizer of any model path: a Hugging Face folder or a GGUF file (its vocabulary).
    public static func load(model path: String) throws -> Tokenizer {
        if FileSystem.isDirectory(path) { return try load(modelDirectory: path) }
        if path.lowercased().hasSuffix(".gguf") { return try Tokenizer(ggufVocabulary: GGUFVocabulary(gguf: GGUFFile(path: path))) }
        throw FormatError(path, "expected a model folder or a .gguf file")
    }
}
