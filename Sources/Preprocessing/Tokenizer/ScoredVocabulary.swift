import TensorFormats

/// A SentencePiece BPE vocabulary (pieces, scores, types) plus its settings: the common form
/// the `.model` and GGUF loaders fill before building a `Tokenizer`.
struct ScoredVocabulary {
    /// SentencePiece piece types (also GGUF `tokenizer.ggml.token_type`).
    enum PieceType: Int32 {
        case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    var source: String
    var pieces: [String]
    var scores: [Float]
    var types: [Int32]
    var unk: Int?
    var bos: Int?
    var eos: Int?
    var pad: Int?
    var addBOS = true
    var addEOS = false
    var byteFallback = true
    var addDummyPrefix = true
    var removeExtraWhitespaces = false
    var escapeWhitespaces = true
    /// Legacy: every segment between added tokens gets the dummy prefix (HF's converted
    /// `tokenizer.json` and llama.cpp). Non-legacy: only the segment that starts the input.
    var legacy = true
    /// Whether user-defined pieces count as special for `skipSpecialTokens`.
    var userDefinedAreSpecial = false

    func type(_ i: Int) -> PieceType? { PieceType(rawValue: types[i]) }

    /// Pieces that merges may produce or start from (SentencePiece's `pieces_` map).
    func isMergeable(_ i: Int) -> Bool {
        switch type(i) {
        case .normal, .userDefined, .unused: return true
        default: return false
        }
    }

    func validID(_ id: Int?) -> Int? {
        guard let id, id >= 0, id < pieces.count else { return nil }
        return id
    }

    func makeTokenizer() throws -> Tokenizer {
        let n = pieces.count
        guard n > 0 else { throw FormatError(source, "the vocabulary is empty") }
        guard n <= InputLimits.maxVocabulary else {
            throw FormatError(source, "the vocabulary has \(n) pieces, above the limit of \(InputLimits.maxVocabulary)")
        }
        guard pieces.contains(where: { !$0.isEmpty }) else { throw FormatError(source, "every vocabulary piece is an empty string") }
        guard scores.count == n, types.count == n else {
            throw FormatError(source, "vocabulary has \(n) pieces but \(scores.count) scores and \(types.count) types")
        }
        var merger = BPEMerger()
        merger.byteFallback = byteFallback
        merger.fuseUnknown = true
        merger.unknownID = validID(unk).map { Int32($0) }

        // Keyed by UTF-8 bytes: Swift String keys would merge canonically equivalent pieces.
        var mergeable: [[UInt8]: Int32] = [:]
        mergeable.reserveCapacity(n)
        for i in 0..<n where isMergeable(i) {
            let key = Array(pieces[i].utf8)
            if mergeable[key] == nil { mergeable[key] = Int32(i) }
        }
        // Rank = position of the score among the distinct scores, highest first.
        var distinct = Set<Float>()
        for i in 0..<n where isMergeable(i) { distinct.insert(scores[i]) }
        let ordered = distinct.sorted(by: >)
        var rankOf: [Float: UInt32] = [:]
        for (r, s) in ordered.enumerated() { rankOf[s] = UInt32(r) }

        for i in 0..<n {
            let piece = pieces[i]
            if type(i) == .byte {
                if let b = TokenDecoder.byteValue(piece) { merger.byteIDs[Int(b)] = Int32(i) }
                continue
            }
            guard isMergeable(i) else { continue }
            let scalars = Array(piece.unicodeScalars)
            guard !scalars.isEmpty else { continue }  // an empty piece can never be produced
            if scalars.count == 1 {
                if merger.scalarIDs[scalars[0].value] == nil { merger.scalarIDs[scalars[0].value] = Int32(i) }
                continue
            }
            let bytes = Array(piece.utf8)
            guard let rank = rankOf[scores[i]], mergeable[bytes] == Int32(i) else { continue }
            var cut = 0
            for k in 0..<(scalars.count - 1) {
                cut += UTF8.width(scalars[k])
                if let l = mergeable[Array(bytes[..<cut])], let r = mergeable[Array(bytes[cut...])] {
                    merger.addMerge(left: l, right: r, merged: Int32(i), rank: rank)
                }
            }
        }

        var steps: [TextNormalizer.Step] = []
        if removeExtraWhitespaces { steps.append(.removeExtraSpaces) }
        var metaspace: TextNormalizer.Metaspace?
        if legacy {
            if addDummyPrefix { steps.append(.prepend(escapeWhitespaces ? "\u{2581}" : " ")) }
            if escapeWhitespaces { steps.append(.replace(pattern: " ", content: "\u{2581}")) }
        } else if escapeWhitespaces {
            metaspace = TextNormalizer.Metaspace(prependScheme: addDummyPrefix ? .first : .never, split: false)
        } else if addDummyPrefix {
            steps.append(.prepend(" "))
        }

        var special = Set<Int>()
        var added: [AddedToken] = []
        for i in 0..<n {
            switch type(i) {
            case .control, .unknown:
                special.insert(i)
                added.append(AddedToken(content: pieces[i], id: i, special: true))
            case .userDefined:
                if userDefinedAreSpecial { special.insert(i) }
                added.append(AddedToken(content: pieces[i], id: i, special: userDefinedAreSpecial))
            default:
                break
            }
        }
        let bosID = validID(bos)
        let eosID = validID(eos)
        return Tokenizer(
            pieces: pieces, specialIDs: special, addedTokens: added.filter { !$0.content.isEmpty },
            merger: merger, normalizer: TextNormalizer(steps: steps, metaspace: metaspace),
            decoder: .sentencePiece(stripLeadingSpace: addDummyPrefix),
            prefixIDs: addBOS ? bosID.map { [$0] } ?? [] : [],
            suffixIDs: addEOS ? eosID.map { [$0] } ?? [] : [],
            bos: bosID, eos: eosID, unk: validID(unk), pad: validID(pad))
    }
}
