import Foundation
import TensorFormats

extension Tokenizer {
    /// Loads an HF `tokenizer.json` with a `BPE` model (merges in `"a b"` or `["a", "b"]` form).
    ///
    /// Supported pipeline parts: normalizers `Sequence`/`Prepend`/`Replace` (literal pattern);
    /// pre-tokenizer `Metaspace` (`prepend_scheme` always/first/never, `split`); post-processor
    /// `TemplateProcessing`; decoders `Sequence`/`Replace`/`ByteFallback`/`Fuse`/`Strip`/`Metaspace`.
    /// Anything else is an error rather than a silent mismatch.
    ///
    /// If a `tokenizer_config.json` sits beside the file, its `add_bos_token`/`add_eos_token`
    /// rebuild the BOS/EOS template (as transformers' `LlamaTokenizerFast` does) and its
    /// `bos_token`/`eos_token`/`pad_token`/`unk_token` name the special ids.
    public init(huggingFaceJSON path: String) throws {
        let file = try MappedFile(path: path)
        let configPath = URL(fileURLWithPath: path).deletingLastPathComponent()
            .appendingPathComponent("tokenizer_config.json").path
        var configFile: MappedFile?
        if FileManager.default.fileExists(atPath: configPath) { configFile = try MappedFile(path: configPath) }
        self = try Tokenizer(huggingFaceJSON: file.bytes, config: configFile?.bytes, path: path)
        withExtendedLifetime((file, configFile)) {}
    }

    /// Loads `tokenizer.json` bytes (and optionally `tokenizer_config.json` bytes, see above);
    /// `path` names the source in error messages (a file, or a file inside a bundle).
    public init(huggingFaceJSON bytes: UnsafeRawBufferPointer, config configBytes: UnsafeRawBufferPointer?, path: String) throws {
        let root: JSONValue
        do { root = try JSONParser.parse(bytes) } catch { throw FormatError(path, "\(error)") }
        var config: JSONValue?
        if let configBytes {
            do { config = try JSONParser.parse(configBytes) } catch { throw FormatError(path + " (tokenizer_config.json)", "\(error)") }
        }
        self = try TokenizerJSONLoader(path: path).load(root, config: config)
    }
}

extension Tokenizer {
    /// Adds the tokens of a transformers `added_tokens.json` (`{"<image>": 32000, "<pad>": 32001}`),
    /// in id order, as added tokens without strip flags (VLM2Vec's LLaVA tokenizer on top of
    /// `tokenizer.model`).
    public mutating func addTokens(fromAddedTokensJSON path: String, special: Bool = true) throws {
        let file = try MappedFile(path: path)
        try withExtendedLifetime(file) { try addTokens(fromAddedTokensJSON: file.bytes, path: path, special: special) }
    }

    /// `added_tokens.json` from bytes; `path` names the source in error messages.
    public mutating func addTokens(fromAddedTokensJSON bytes: UnsafeRawBufferPointer, path: String, special: Bool = true) throws {
        let root: JSONValue
        do { root = try JSONParser.parse(bytes) } catch { throw FormatError(path, "\(error)") }
        guard let pairs = root.objectValue else { throw FormatError(path, "expected an object of token → id") }
        var tokens: [AddedToken] = []
        let idBound = Tokenizer.addedTokenIDBound(vocabulary: pieces.count, added: pairs.count)
        for (content, v) in pairs {
            guard let id = v.intValue, id >= 0 else { throw FormatError(path, "token '\(content)' has no valid id") }
            guard id < idBound else {
                throw FormatError(path, "token '\(content)' has id \(id), beyond the \(pieces.count)-entry vocabulary and these \(pairs.count) added tokens (limit \(idBound - 1))")
            }
            tokens.append(AddedToken(content: content, id: id, special: special))
        }
        do { try addTokens(tokens.sorted { $0.id < $1.id }) } catch let e as FormatError { throw FormatError(path, e.problem) }
    }
}

/// Reads the parts of `tokenizer.json` into the tokenizer's components.
struct TokenizerJSONLoader {
    let path: String

    func fail(_ problem: String) -> FormatError { FormatError(path, problem) }

    func load(_ root: JSONValue, config: JSONValue?) throws -> Tokenizer {
        guard let model = root["model"], model.objectValue != nil else { throw fail("no 'model' object") }
        let type = model["type"]?.stringValue ?? "BPE"
        guard type == "BPE" else { throw fail("model type '\(type)' is not supported (only BPE)") }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let s = model[key]?.stringValue, !s.isEmpty { throw fail("model.\(key) '\(s)' is not supported") }
        }
        if let d = model["dropout"]?.doubleValue, d > 0 { throw fail("BPE dropout \(d) is not supported") }

        // Vocabulary.
        guard let vocabPairs = model["vocab"]?.objectValue else { throw fail("model.vocab is not an object") }
        var pieces: [String] = []
        // Keyed by UTF-8 bytes: Swift String keys would merge canonically equivalent pieces.
        var ids: [[UInt8]: Int32] = [:]
        ids.reserveCapacity(vocabPairs.count)
        for (piece, v) in vocabPairs {
            guard let id = v.intValue, id >= 0, id < min(InputLimits.maxVocabulary, vocabPairs.count + InputLimits.addedTokenSlack) else {
                throw fail("vocab entry '\(piece)' has id \(v.intValue.map(String.init) ?? "?"), beyond the \(vocabPairs.count)-entry vocabulary (limit \(min(InputLimits.maxVocabulary, vocabPairs.count + InputLimits.addedTokenSlack) - 1))")
            }
            if id >= pieces.count { pieces.append(contentsOf: repeatElement("", count: id + 1 - pieces.count)) }
            pieces[id] = piece
            ids[Array(piece.utf8)] = Int32(id)
        }

        // Added tokens.
        var added: [AddedToken] = []
        for item in root["added_tokens"]?.arrayValue ?? [] {
            guard let id = item["id"]?.intValue, id >= 0, let content = item["content"]?.stringValue, !content.isEmpty else {
                throw fail("added_tokens entry without a valid id and content")
            }
            added.append(AddedToken(
                content: content, id: id, special: item["special"]?.boolValue ?? false,
                lstrip: item["lstrip"]?.boolValue ?? false, rstrip: item["rstrip"]?.boolValue ?? false,
                singleWord: item["single_word"]?.boolValue ?? false, normalized: item["normalized"]?.boolValue ?? true))
        }

        // An added token's id must lie within what the file justifies: the vocabulary, the added
        // tokens themselves and a slack for padded embedding tables (never 10¹² empty slots).
        let idBound = Tokenizer.addedTokenIDBound(vocabulary: pieces.count, added: added.count)
        if let bad = added.first(where: { $0.id >= idBound }) {
            throw fail("added token '\(bad.content)' has id \(bad.id), beyond the \(pieces.count)-entry vocabulary and its \(added.count) added tokens (limit \(idBound - 1))")
        }

        // BPE model.
        var merger = BPEMerger()
        merger.byteFallback = model["byte_fallback"]?.boolValue ?? false
        merger.fuseUnknown = model["fuse_unk"]?.boolValue ?? false
        if let unk = model["unk_token"]?.stringValue {
            guard let id = ids[Array(unk.utf8)] else { throw fail("unk_token '\(unk)' is not in the vocabulary") }
            merger.unknownID = id
        }
        if model["ignore_merges"]?.boolValue == true { merger.wholeWordIDs = ids }
        for (bytes, id) in ids {
            let piece = String(decoding: bytes, as: UTF8.self)
            let scalars = piece.unicodeScalars
            if scalars.count == 1, let s = scalars.first { merger.scalarIDs[s.value] = id }
            if let b = TokenDecoder.byteValue(piece) { merger.byteIDs[Int(b)] = id }
        }
        let merges = model["merges"]?.arrayValue ?? []
        for (rank, m) in merges.enumerated() {
            let a: String, b: String
            if let s = m.stringValue {
                let parts = s.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else { throw fail("merge \(rank) '\(s)' is not two pieces separated by one space") }
                a = String(parts[0]); b = String(parts[1])
            } else if let arr = m.arrayValue, arr.count == 2, let x = arr[0].stringValue, let y = arr[1].stringValue {
                a = x; b = y
            } else {
                throw fail("merge \(rank) is neither \"a b\" nor [a, b]")
            }
            let ab = Array(a.utf8), bb = Array(b.utf8)
            guard let l = ids[ab], let r = ids[bb], let merged = ids[ab + bb] else {
                throw fail("merge \(rank) '\(a) \(b)' uses a piece that is not in the vocabulary")
            }
            merger.addMerge(left: l, right: r, merged: merged, rank: UInt32(rank))
        }

        // Pipeline.
        var normalizer = TextNormalizer(steps: try normalizerSteps(root["normalizer"]))
        try normalizer.checkGrowth(file: path)
        normalizer.metaspace = try metaspace(root["pre_tokenizer"])
        let decoder = TokenDecoder(steps: try decoderSteps(root["decoder"]))
        var (prefix, suffix) = try template(root["post_processor"], ids: ids, added: added)

        // tokenizer_config.json overrides.
        func tokenID(_ key: String) -> Int? {
            guard let v = config?[key] else { return nil }
            let name = v.stringValue ?? v["content"]?.stringValue
            guard let name else { return nil }
            if let t = added.last(where: { $0.content.utf8.elementsEqual(name.utf8) }) { return t.id }
            return ids[Array(name.utf8)].map { Int($0) }
        }
        let bos = tokenID("bos_token") ?? prefix.first
        let eos = tokenID("eos_token") ?? suffix.last
        if let config, config["add_bos_token"] != nil || config["add_eos_token"] != nil {
            let addBOS = config["add_bos_token"]?.boolValue ?? true
            let addEOS = config["add_eos_token"]?.boolValue ?? false
            prefix = addBOS ? bos.map { [$0] } ?? [] : []
            suffix = addEOS ? eos.map { [$0] } ?? [] : []
        }
        return Tokenizer(
            pieces: pieces, specialIDs: Set(added.filter(\.special).map(\.id)), addedTokens: added,
            merger: merger, normalizer: normalizer, decoder: decoder, prefixIDs: prefix, suffixIDs: suffix,
            bos: bos, eos: eos, unk: tokenID("unk_token") ?? merger.unknownID.map { Int($0) }, pad: tokenID("pad_token"))
    }

    func normalizerSteps(_ v: JSONValue?) throws -> [TextNormalizer.Step] {
        guard let v, v != .null else { return [] }
        let type = v["type"]?.stringValue ?? ""
        switch type {
        case "Sequence":
            return try (v["normalizers"]?.arrayValue ?? []).flatMap { try normalizerSteps($0) }
        case "Prepend":
            guard let p = v["prepend"]?.stringValue else { throw fail("Prepend normalizer without 'prepend'") }
            return [.prepend(p)]
        case "Replace":
            return [.replace(pattern: try literalPattern(v, "Replace normalizer"), content: v["content"]?.stringValue ?? "")]
        default:
            throw fail("normalizer '\(type)' is not supported")
        }
    }

    func metaspace(_ v: JSONValue?) throws -> TextNormalizer.Metaspace? {
        guard let v, v != .null else { return nil }
        let type = v["type"]?.stringValue ?? ""
        switch type {
        case "Metaspace":
            var ms = TextNormalizer.Metaspace()
            if let r = v["replacement"]?.stringValue { ms.replacement = r }
            if let s = v["prepend_scheme"]?.stringValue {
                guard let scheme = TextNormalizer.PrependScheme(rawValue: s) else { throw fail("Metaspace prepend_scheme '\(s)' is unknown") }
                ms.prependScheme = scheme
            } else if let add = v["add_prefix_space"]?.boolValue {
                ms.prependScheme = add ? .always : .never
            }
            ms.split = v["split"]?.boolValue ?? true
            return ms
        case "Sequence":
            let items = v["pretokenizers"]?.arrayValue ?? []
            if items.isEmpty { return nil }
            guard items.count == 1 else { throw fail("a pre_tokenizer Sequence of \(items.count) steps is not supported") }
            return try metaspace(items[0])
        default:
            throw fail("pre_tokenizer '\(type)' is not supported")
        }
    }

    func decoderSteps(_ v: JSONValue?) throws -> [TokenDecoder.Step]? {
        guard let v, v != .null else { return nil }
        let type = v["type"]?.stringValue ?? ""
        switch type {
        case "Sequence":
            return try (v["decoders"]?.arrayValue ?? []).flatMap { try decoderSteps($0) ?? [] }
        case "Replace":
            return [.replace(pattern: try literalPattern(v, "Replace decoder"), content: v["content"]?.stringValue ?? "")]
        case "ByteFallback": return [.byteFallback]
        case "Fuse": return [.fuse]
        case "Strip":
            let c = v["content"]?.stringValue ?? " "
            guard c.unicodeScalars.count == 1, let ch = c.first else { throw fail("Strip decoder content '\(c)' is not one character") }
            return [.strip(content: ch, start: v["start"]?.intValue ?? 0, stop: v["stop"]?.intValue ?? 0)]
        case "Metaspace":
            let r = v["replacement"]?.stringValue ?? "\u{2581}"
            guard r.unicodeScalars.count == 1, let ch = r.first else { throw fail("Metaspace decoder replacement '\(r)' is not one character") }
            var scheme = TextNormalizer.PrependScheme.always
            if let s = v["prepend_scheme"]?.stringValue {
                guard let p = TextNormalizer.PrependScheme(rawValue: s) else { throw fail("Metaspace prepend_scheme '\(s)' is unknown") }
                scheme = p
            } else if v["add_prefix_space"]?.boolValue == false {
                scheme = .never
            }
            return [.metaspace(replacement: ch, prependScheme: scheme)]
        default:
            throw fail("decoder '\(type)' is not supported")
        }
    }

    func literalPattern(_ v: JSONValue, _ what: String) throws -> String {
        if let s = v["pattern"]?["String"]?.stringValue, !s.isEmpty { return s }
        if v["pattern"]?["Regex"] != nil { throw fail("\(what) with a Regex pattern is not supported") }
        throw fail("\(what) without a string pattern")
    }

    /// The ids TemplateProcessing puts before and after a single sequence `$A`.
    func template(_ v: JSONValue?, ids: [[UInt8]: Int32], added: [AddedToken]) throws -> ([Int], [Int]) {
        guard let v, v != .null else { return ([], []) }
        let type = v["type"]?.stringValue ?? ""
        if type == "Sequence" {
            var result: ([Int], [Int]) = ([], [])
            for p in v["processors"]?.arrayValue ?? [] {
                let (a, b) = try template(p, ids: ids, added: added)
                result.0 += a
                result.1 += b
            }
            return result
        }
        guard type == "TemplateProcessing" else { throw fail("post_processor '\(type)' is not supported") }
        guard let single = v["single"]?.arrayValue else { throw fail("TemplateProcessing without 'single'") }
        var before: [Int] = [], after: [Int] = []
        var seenSequence = false
        for item in single {
            if item["Sequence"] != nil { seenSequence = true; continue }
            guard let name = item["SpecialToken"]?["id"]?.stringValue else { throw fail("TemplateProcessing item is neither Sequence nor SpecialToken") }
            var tokenIDs: [Int] = []
            if let list = v["special_tokens"]?[name]?["ids"]?.arrayValue {
                tokenIDs = list.compactMap(\.intValue)
            } else if let t = added.last(where: { $0.content.utf8.elementsEqual(name.utf8) }) {
                tokenIDs = [t.id]
            } else if let id = ids[Array(name.utf8)] {
                tokenIDs = [Int(id)]
            } else {
                throw fail("TemplateProcessing special token '\(name)' has no id")
            }
            if seenSequence { after += tokenIDs } else { before += tokenIDs }
        }
        return (before, after)
    }
}
