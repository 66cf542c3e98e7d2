import TensorFormats

/// A SentencePiece-style BPE tokenizer with byte fallback (Llama / Mistral / Phi-3 family).
///
/// Encoding follows HF `tokenizers`:
/// 1. added tokens are matched in the raw text (leftmost-longest, honouring lstrip/rstrip/single_word);
/// 2. each text segment between them is normalized on its own (so with `Prepend("▁")` every
///    segment gets its own leading ▁), then optionally cut into words by a Metaspace step;
/// 3. each word is BPE-merged (merge ranks or piece scores), unknown characters falling back to
///    `<0xXX>` byte pieces;
/// 4. with `addSpecialTokens`, BOS/EOS are added as the post-processor template says.
///
/// Load it with `init(huggingFaceJSON:)`, `init(sentencePieceModel:)` or `init(ggufVocabulary:)`;
/// the last also builds byte-level (GPT-2 style) BPE tokenizers, whose words come from a
/// `ByteLevelPreTokenizer` and whose decoder maps the byte alphabet back.
public struct Tokenizer: Sendable {
    /// Piece text by id (added tokens included; unused ids are empty strings).
    public internal(set) var pieces: [String]
    /// Piece UTF-8 bytes → id, for the model vocabulary and the added tokens. Keyed by bytes
    /// because Swift `String` equality is canonical equivalence: "ά" U+03AC and U+1F71 are
    /// different pieces (different ids) that compare equal as Strings.
    var pieceIDs: [[UInt8]: Int]
    /// Ids dropped by `decode(_:skipSpecialTokens: true)`.
    var specialIDs: Set<Int>
    /// Added tokens, in registration order.
    public internal(set) var addedTokens: [AddedToken]
    var merger: BPEMerger
    /// The normalizer and the optional Metaspace pre-tokenizer.
    public internal(set) var normalizer: TextNormalizer
    /// The decoder chain.
    public internal(set) var decoder: TokenDecoder
    /// Ids put before the text when `addSpecialTokens` is true (normally `[bos]`).
    public var prefixIDs: [Int]
    /// Ids put after the text when `addSpecialTokens` is true (normally empty).
    public var suffixIDs: [Int]
    /// Beginning-of-sequence id, if the tokenizer has one.
    public var bosTokenID: Int?
    /// End-of-sequence id, if the tokenizer has one.
    public var eosTokenID: Int?
    /// Unknown-token id, if any.
    public var unknownTokenID: Int?
    /// Padding id, if any.
    public var padTokenID: Int?

    var rawMatcher: AddedTokenMatcher
    var normalizedMatcher: AddedTokenMatcher

    init(
        pieces: [String], specialIDs: Set<Int>, addedTokens: [AddedToken], merger: BPEMerger,
        normalizer: TextNormalizer, decoder: TokenDecoder, prefixIDs: [Int], suffixIDs: [Int],
        bos: Int?, eos: Int?, unk: Int?, pad: Int?
    ) {
        self.pieces = pieces
        var ids: [[UInt8]: Int] = [:]
        ids.reserveCapacity(pieces.count)
        for (i, p) in pieces.enumerated() where !p.isEmpty {
            let key = Array(p.utf8)
            if ids[key] == nil { ids[key] = i }
        }
        self.pieceIDs = ids
        self.specialIDs = specialIDs
        self.addedTokens = []
        self.merger = merger
        self.normalizer = normalizer
        self.decoder = decoder
        self.prefixIDs = prefixIDs
        self.suffixIDs = suffixIDs
        self.bosTokenID = bos
        self.eosTokenID = eos
        self.unknownTokenID = unk
        self.padTokenID = pad
        self.rawMatcher = AddedTokenMatcher([], spelling: { _ in [] })
        self.normalizedMatcher = rawMatcher
        installAddedTokens(addedTokens)
    }

    /// Number of ids (model vocabulary plus added tokens).
    public var vocabularySize: Int { pieces.count }

    /// The id of a piece or added token, if it exists.
    public func id(forPiece piece: String) -> Int? { pieceIDs[Array(piece.utf8)] }

    /// The piece text of an id, if it is in range.
    public func piece(forID id: Int) -> String? { id >= 0 && id < pieces.count ? pieces[id] : nil }

    /// Adds added tokens after loading (e.g. LLaVA's `<image>` = 32000 and `<pad>` = 32001).
    ///
    /// A token whose content already has that id is updated in place; a new id must be the next
    /// free one or an unused slot. Throws when a content or id is already taken by something else.
    public mutating func addTokens(_ tokens: [AddedToken]) throws {
        let idBound = Tokenizer.addedTokenIDBound(vocabulary: pieces.count, added: tokens.count)
        for t in tokens {
            guard t.id >= 0, !t.content.isEmpty else {
                throw FormatError("added token", "'\(t.content)' needs a non-negative id and non-empty text")
            }
            guard t.id < idBound else {
                throw FormatError("added token", "'\(t.content)' has id \(t.id), beyond the \(pieces.count)-entry vocabulary and \(tokens.count) added tokens (limit \(idBound - 1))")
            }
            if let existing = pieceIDs[Array(t.content.utf8)], existing != t.id {
                throw FormatError("added token", "'\(t.content)' is already id \(existing), cannot make it \(t.id)")
            }
            if t.id < pieces.count {
                let old = pieces[t.id]
                if !old.isEmpty && !old.utf8.elementsEqual(t.content.utf8) {
                    throw FormatError("added token", "id \(t.id) is already '\(old)', cannot make it '\(t.content)'")
                }
            } else if t.id > pieces.count {
                pieces.append(contentsOf: repeatElement("", count: t.id - pieces.count))
            }
        }
        installAddedTokens(tokens)
    }

    /// One past the largest id an added token may take over a vocabulary of `vocabulary` entries
    /// with `added` added tokens: the vocabulary, the added tokens and `InputLimits.addedTokenSlack`,
    /// never past `InputLimits.maxVocabulary`.
    public static func addedTokenIDBound(vocabulary: Int, added: Int) -> Int {
        min(InputLimits.maxVocabulary, vocabulary + min(added, InputLimits.maxVocabulary) + InputLimits.addedTokenSlack)
    }

    /// Registers added tokens without validation (loaders have checked ids already).
    mutating func installAddedTokens(_ tokens: [AddedToken]) {
        for t in tokens {
            if t.id >= pieces.count { pieces.append(contentsOf: repeatElement("", count: t.id + 1 - pieces.count)) }
            pieces[t.id] = t.content
            pieceIDs[Array(t.content.utf8)] = t.id
            if t.special { specialIDs.insert(t.id) } else { specialIDs.remove(t.id) }
            addedTokens.removeAll { $0.id == t.id }
            addedTokens.append(t)
        }
        let norm = normalizer
        rawMatcher = AddedTokenMatcher(addedTokens.filter { !$0.normalized }) { Array($0.content.utf8) }
        normalizedMatcher = AddedTokenMatcher(addedTokens.filter { $0.normalized }) {
            norm.normalize(ArraySlice($0.content.utf8))
        }
    }

    // MARK: Encoding

    /// Encodes `text` to token ids. With `addSpecialTokens`, BOS/EOS are added per the post-processor.
    public func encode(_ text: String, addSpecialTokens: Bool = true) -> [Int] {
        var out: [Int32] = []
        out.reserveCapacity(text.utf8.count / 3 + 4)
        encodeBody(Array(text.utf8), into: &out)
        var ids = out.map { Int($0) }
        if addSpecialTokens {
            ids = prefixIDs + ids + suffixIDs
        }
        return ids
    }

    /// Encodes `text` and returns the piece strings instead of ids (like HF `tokenize`, without
    /// special tokens unless asked). Added tokens are reported by their content.
    public func encodeToPieces(_ text: String, addSpecialTokens: Bool = false) -> [String] {
        encode(text, addSpecialTokens: addSpecialTokens).map { pieces[$0] }
    }

    private func encodeBody(_ bytes: [UInt8], into out: inout [Int32]) {
        var cache: [ArraySlice<UInt8>: [Int32]] = [:]
        for piece in rawMatcher.split(bytes) {
            switch piece {
            case .token(let id, _):
                out.append(id)
            case .text(let range):
                let normalized = normalizer.normalize(bytes[range])
                if normalized.isEmpty { continue }
                if normalizedMatcher.isEmpty {
                    encodeNormalized(normalized, startsInput: range.lowerBound == 0, cache: &cache, into: &out)
                    continue
                }
                for sub in normalizedMatcher.split(normalized) {
                    switch sub {
                    case .token(let id, _): out.append(id)
                    case .text(let r):
                        encodeNormalized(
                            Array(normalized[r]), startsInput: range.lowerBound == 0 && r.lowerBound == 0,
                            cache: &cache, into: &out)
                    }
                }
            }
        }
    }

    private func encodeNormalized(
        _ normalized: [UInt8], startsInput: Bool, cache: inout [ArraySlice<UInt8>: [Int32]], into out: inout [Int32]
    ) {
        let (s, words) = normalizer.preTokenize(normalized, startsInput: startsInput)
        if words.count == 1 {
            merger.encode(s[words[0]], into: &out)
            return
        }
        for w in words {
            let word = s[w]
            if let hit = cache[word] {
                out.append(contentsOf: hit)
            } else {
                var ids: [Int32] = []
                merger.encode(word, into: &ids)
                cache[word] = ids
                out.append(contentsOf: ids)
            }
        }
    }

    // MARK: Decoding

    /// Decodes ids to text like HF `decode`: out-of-range ids are ignored, special tokens are
    /// dropped when `skipSpecialTokens`, and the pieces go through the decoder chain.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
        var tokens: [String] = []
        tokens.reserveCapacity(ids.count)
        for id in ids where id >= 0 && id < pieces.count {
            if skipSpecialTokens && specialIDs.contains(id) { continue }
            tokens.append(pieces[id])
        }
        return decoder.decode(tokens)
    }

    /// Whether `id` is a special token (skipped by `decode(_:skipSpecialTokens: true)`).
    public func isSpecial(_ id: Int) -> Bool { specialIDs.contains(id) }
}
