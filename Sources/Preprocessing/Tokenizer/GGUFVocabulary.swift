import TensorFormats

/// The tokenizer part of a GGUF file's metadata, as plain values, so the tokenizer needs no GGUF reader.
///
/// Fill it from the keys `tokenizer.ggml.model`, `.tokens`, `.scores`, `.token_type`,
/// `.bos_token_id`, `.eos_token_id`, `.unknown_token_id`, `.padding_token_id`, `.add_bos_token`,
/// `.add_eos_token`, `.add_space_prefix`, and for byte-level BPE `.merges` and `.pre`.
public struct GGUFVocabulary: Sendable, Equatable {
    /// `tokenizer.ggml.model`: `"llama"` (SentencePiece BPE with scores) or `"gpt2"` (byte-level
    /// BPE with merges) are supported.
    public var model: String
    /// `tokenizer.ggml.tokens`: piece text by id.
    public var tokens: [String]
    /// `tokenizer.ggml.scores`: merge priority of each piece (higher merges first).
    public var scores: [Float]
    /// `tokenizer.ggml.token_type`: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte.
    public var tokenTypes: [Int32]
    /// `tokenizer.ggml.bos_token_id`.
    public var bosTokenID: Int?
    /// `tokenizer.ggml.eos_token_id`.
    public var eosTokenID: Int?
    /// `tokenizer.ggml.unknown_token_id`.
    public var unknownTokenID: Int?
    /// `tokenizer.ggml.padding_token_id`.
    public var paddingTokenID: Int?
    /// `tokenizer.ggml.add_bos_token` (llama.cpp's default for SentencePiece vocabularies is true).
    public var addBOS: Bool
    /// `tokenizer.ggml.add_eos_token`.
    public var addEOS: Bool
    /// `tokenizer.ggml.add_space_prefix` (default true): the ▁ put in front of each text segment.
    public var addSpacePrefix: Bool
    /// `tokenizer.ggml.merges` (`"a b"` strings, highest priority first); byte-level BPE only.
    public var merges: [String]?
    /// `tokenizer.ggml.pre`: the byte-level pre-tokenizer's name (see `ByteLevelPreTokenizer`).
    public var preTokenizer: String?
    /// Where the values came from, for error messages (usually the GGUF path).
    public var source: String

    public init(
        model: String, tokens: [String], scores: [Float], tokenTypes: [Int32],
        bosTokenID: Int? = nil, eosTokenID: Int? = nil, unknownTokenID: Int? = nil, paddingTokenID: Int? = nil,
        addBOS: Bool = true, addEOS: Bool = false, addSpacePrefix: Bool = true,
        merges: [String]? = nil, preTokenizer: String? = nil, source: String = "gguf"
    ) {
        self.model = model
        self.tokens = tokens
        self.scores = scores
        self.tokenTypes = tokenTypes
        self.bosTokenID = bosTokenID
        self.eosTokenID = eosTokenID
        self.unknownTokenID = unknownTokenID
        self.paddingTokenID = paddingTokenID
        self.addBOS = addBOS
        self.addEOS = addEOS
        self.addSpacePrefix = addSpacePrefix
        self.merges = merges
        self.preTokenizer = preTokenizer
        self.source = source
    }
}

extension Tokenizer {
    /// Builds a tokenizer from a GGUF vocabulary: `tokenizer.ggml.model` `"llama"` (below) or
    /// `"gpt2"` (byte-level BPE, see `init(byteLevelGGUF:)`).
    ///
    /// For `"llama"`, pieces merge by score (highest first, leftmost on ties) like SentencePiece
    /// and llama.cpp; unknown characters fall back to the `<0xXX>` byte pieces (type 6). Control,
    /// unknown and user-defined pieces are matched literally in the text as added tokens; control
    /// and unknown ones are special (dropped by `skipSpecialTokens`). GGUF carries no lstrip/rstrip
    /// flags, so none are applied. Every text segment between added tokens gets the ▁ prefix when
    /// `addSpacePrefix`, as in llama.cpp and HF's converted Llama tokenizers.
    public init(ggufVocabulary v: GGUFVocabulary) throws {
        guard v.model == "llama" || v.model == "gpt2" else {
            throw FormatError(
                v.source, "tokenizer.ggml.model '\(v.model)' is not supported (only 'llama', SentencePiece BPE, and 'gpt2', byte-level BPE)")
        }
        guard (v.model != "llama" || v.scores.count == v.tokens.count), v.tokenTypes.count == v.tokens.count else {
            throw FormatError(
                v.source,
                "tokenizer.ggml.tokens has \(v.tokens.count) entries but scores has \(v.scores.count) and token_type \(v.tokenTypes.count)")
        }
        guard v.tokens.count <= InputLimits.maxVocabulary else {
            throw FormatError(v.source, "tokenizer.ggml.tokens has \(v.tokens.count) entries, above the limit of \(InputLimits.maxVocabulary)")
        }
        guard v.tokens.contains(where: { !$0.isEmpty }) else {
            throw FormatError(v.source, "tokenizer.ggml.tokens holds only empty strings (\(v.tokens.count) of them)")
        }
        for (name, id) in [("bos", v.bosTokenID), ("eos", v.eosTokenID), ("unknown", v.unknownTokenID), ("padding", v.paddingTokenID)] {
            if let id, id < 0 || id >= v.tokens.count {
                throw FormatError(v.source, "tokenizer.ggml.\(name)_token_id \(id) is outside the \(v.tokens.count)-token vocabulary")
            }
        }
        if v.model == "gpt2" {
            self = try Tokenizer(byteLevelGGUF: v)
            return
        }
        var vocab = ScoredVocabulary(
            source: v.source, pieces: v.tokens, scores: v.scores, types: v.tokenTypes,
            unk: v.unknownTokenID, bos: v.bosTokenID, eos: v.eosTokenID, pad: v.paddingTokenID)
        vocab.addBOS = v.addBOS
        vocab.addEOS = v.addEOS
        vocab.byteFallback = true
        vocab.addDummyPrefix = v.addSpacePrefix
        vocab.removeExtraWhitespaces = false
        vocab.escapeWhitespaces = true
        vocab.legacy = true
        self = try vocab.makeTokenizer()
    }
}
