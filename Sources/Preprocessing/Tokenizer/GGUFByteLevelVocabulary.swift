import TensorFormats

extension Tokenizer {
    /// A byte-level BPE tokenizer (GPT-2 style, `tokenizer.ggml.model == "gpt2"`), as llama.cpp
    /// runs it:
    /// 1. control (type 3) and unknown (type 2) tokens are matched literally in the text as special
    ///    added tokens, user-defined ones (type 4) as non-special added tokens;
    /// 2. the text between them is cut into words by the `tokenizer.ggml.pre` regex chain and
    ///    each word spelled in GPT-2's byte alphabet (`ByteLevelPreTokenizer`);
    /// 3. each word is merged by `tokenizer.ggml.merges` rank (first listed merges first, leftmost
    ///    on ties; a repeated pair keeps its first rank);
    /// 4. BOS/EOS are added per `add_bos_token`/`add_eos_token` (no space prefix for BPE).
    ///
    /// Decoding maps the tokens back to bytes and reads them as UTF-8 (HF's `ByteLevel` decoder).
    /// Called by `init(ggufVocabulary:)`, which has checked the array lengths and special ids.
    init(byteLevelGGUF v: GGUFVocabulary) throws {
        guard let pre = ByteLevelPreTokenizer(ggufName: v.preTokenizer) else {
            let supported = ByteLevelPreTokenizer.supportedNames.joined(separator: ", ")
            throw FormatError(v.source, "tokenizer.ggml.pre '\(v.preTokenizer ?? "")' is not supported (supported: \(supported))")
        }
        guard let merges = v.merges else { throw FormatError(v.source, "no tokenizer.ggml.merges: a gpt2 vocabulary needs its merges") }
        // Keyed by UTF-8 bytes (Swift String equality is canonical equivalence); first id wins.
        var ids: [[UInt8]: Int32] = [:]
        ids.reserveCapacity(v.tokens.count)
        var merger = BPEMerger()
        merger.byteFallback = false
        merger.fuseUnknown = false
        merger.unknownID = v.unknownTokenID.map { Int32($0) }
        for (i, token) in v.tokens.enumerated() {
            let key = Array(token.utf8)
            guard ids[key] == nil else { continue }
            ids[key] = Int32(i)
            let scalars = token.unicodeScalars
            if scalars.count == 1, let s = scalars.first { merger.scalarIDs[s.value] = Int32(i) }
        }
        for (rank, merge) in merges.enumerated() {
            let bytes = Array(merge.utf8)
            // Split at the first space after the first byte, as llama.cpp does.
            guard bytes.count > 2, let cut = bytes[1...].firstIndex(of: 0x20) else {
                throw FormatError(v.source, "tokenizer.ggml.merges[\(rank)] '\(merge)' is not two pieces separated by a space")
            }
            let a = Array(bytes[..<cut]), b = Array(bytes[(cut + 1)...])
            guard let l = ids[a], let r = ids[b], let merged = ids[a + b] else {
                throw FormatError(v.source, "tokenizer.ggml.merges[\(rank)] '\(merge)' uses a piece that is not in the vocabulary")
            }
            if merger.pairs[BPEMerger.pairKey(l, r)] == nil {
                merger.addMerge(left: l, right: r, merged: merged, rank: UInt32(rank))
            }
        }
        var special = Set<Int>()
        var added: [AddedToken] = []
        for (i, token) in v.tokens.enumerated() where !token.isEmpty {
            switch ScoredVocabulary.PieceType(rawValue: v.tokenTypes[i]) {
            case .control, .unknown:
                special.insert(i)
                added.append(AddedToken(content: token, id: i, special: true))
            case .userDefined:
                added.append(AddedToken(content: token, id: i, special: false))
            default:
                break
            }
        }
        self.init(
            pieces: v.tokens, specialIDs: special, addedTokens: added, merger: merger,
            normalizer: TextNormalizer(byteLevel: pre), decoder: TokenDecoder(steps: [.byteLevel]),
            prefixIDs: v.addBOS ? v.bosTokenID.map { [$0] } ?? [] : [],
            suffixIDs: v.addEOS ? v.eosTokenID.map { [$0] } ?? [] : [],
            bos: v.bosTokenID, eos: v.eosTokenID, unk: v.unknownTokenID, pad: v.paddingTokenID)
    }
}
