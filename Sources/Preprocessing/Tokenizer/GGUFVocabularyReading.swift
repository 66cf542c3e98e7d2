import TensorFormats

extension GGUFVocabulary {
    /// Reads the `tokenizer.ggml.*` keys of a GGUF file.
    public init(gguf: GGUFFile) throws {
        try self.init(metadata: gguf.metadata, source: gguf.path)
    }

    /// Reads the `tokenizer.ggml.*` keys of GGUF metadata; `source` names it in errors.
    public init(metadata: [String: GGUFValue], source path: String) throws {
        guard let model = metadata["tokenizer.ggml.model"]?.stringValue else { throw FormatError(path, "no tokenizer.ggml.model: the file carries no vocabulary") }
        guard let tokens = metadata["tokenizer.ggml.tokens"]?.stringArrayValue else { throw FormatError(path, "no tokenizer.ggml.tokens string array") }
        let scores = metadata["tokenizer.ggml.scores"]?.doubleArrayValue?.map { Float($0) } ?? [Float](repeating: 0, count: tokens.count)
        let types = metadata["tokenizer.ggml.token_type"]?.int64ArrayValue?.map { Int32(truncatingIfNeeded: $0) } ?? [Int32](repeating: 1, count: tokens.count)
        guard scores.count == tokens.count, types.count == tokens.count else {
            throw FormatError(path, "tokenizer arrays disagree: \(tokens.count) tokens, \(scores.count) scores, \(types.count) types")
        }
        // Clamped, not trapped: an id past Int.max is then refused as outside the vocabulary.
        func id(_ key: String) -> Int? { metadata["tokenizer.ggml." + key]?.uint64Value.map { Int(clamping: $0) } }
        func flag(_ key: String) -> Bool? { metadata["tokenizer.ggml." + key]?.boolValue }
        var merges: [String]?
        if let value = metadata["tokenizer.ggml.merges"] {
            guard let m = value.stringArrayValue else { throw FormatError(path, "tokenizer.ggml.merges is not a string array") }
            merges = m
        }
        let pre = metadata["tokenizer.ggml.pre"]
        if let pre, pre.stringValue == nil { throw FormatError(path, "tokenizer.ggml.pre is not a string") }
        // llama.cpp's defaults: SentencePiece adds BOS, BPE does not.
        self.init(model: model, tokens: tokens, scores: scores, tokenTypes: types,
                  bosTokenID: id("bos_token_id"), eosTokenID: id("eos_token_id"), unknownTokenID: id("unknown_token_id"),
                  paddingTokenID: id("padding_token_id"),
                  addBOS: flag("add_bos_token") ?? (model == "llama"), addEOS: flag("add_eos_token") ?? false,
                  addSpacePrefix: flag("add_space_prefix") ?? true, merges: merges,
                  preTokenizer: pre?.stringValue, source: path)
    }
}

extension Tokenizer {
    /// The tokenizer of any model path: a Hugging Face folder or a GGUF file (its vocabulary).
    public static func load(model path: String) throws -> Tokenizer {
        if FileSystem.isDirectory(path) { return try load(modelDirectory: path) }
        if GGUFFile.isGGUF(path: path) { return try Tokenizer(ggufVocabulary: GGUFVocabulary(gguf: GGUFFile(path: path))) }
        throw FormatError(path, "expected a model folder or a .gguf file")
    }

    /// The tokenizer of a vocabulary-only GGUF held in memory (a bundle's `tokenizer.gguf`).
    public init(ggufBytes bytes: [UInt8], source: String) throws {
        let metadata = try bytes.withUnsafeBytes { try GGUFFile.metadata(of: $0, path: source) }
        try self.init(ggufVocabulary: GGUFVocabulary(metadata: metadata, source: source))
    }
}
