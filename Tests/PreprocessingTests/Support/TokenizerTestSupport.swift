import Foundation
import TensorFormats
@testable import Preprocessing

/// Shared fixtures for the tokenizer tests, loaded once per test process.
enum TokenizerFixtures {
    /// The repository root (four levels above this file).
    static let repoRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()

    static let tokenizerDir = repoRoot + "/Fixtures/tokenizer"
    static let phi3JSONPath = repoRoot + "/Fixtures/models/phi3_v/tokenizer.json"
    static let llavaJSONPath = repoRoot + "/Fixtures/models/llava_next/tokenizer.json"
    static let llavaModelPath = repoRoot + "/Fixtures/models/llava_next/tokenizer.model"
    static let llavaAddedTokensPath = repoRoot + "/Fixtures/models/llava_next/added_tokens.json"

    static let phi3 = Result { try Tokenizer(huggingFaceJSON: phi3JSONPath) }
    static let llava = Result { try Tokenizer(huggingFaceJSON: llavaJSONPath) }
    /// The LLaVA SentencePiece model with VLM2Vec's `<image>`/`<pad>` added from added_tokens.json.
    static let llavaSPM = Result { () throws -> Tokenizer in
        var t = try Tokenizer(sentencePieceModel: llavaModelPath)
        try t.addTokens(fromAddedTokensJSON: llavaAddedTokensPath)
        return t
    }

    /// One backbone's expectations for a parity string.
    struct Expected: Sendable {
        var ids: [Int]
        var idsNoSpecial: [Int]
        var tokens: [String]
        var decoded: String
    }

    struct ParityCase: Sendable {
        var text: String
        var phi3: Expected
        var llava: Expected
    }

    static let parity = Result { () throws -> [ParityCase] in
        let root = try parseJSON(tokenizerDir + "/tokenizer_parity.json")
        guard let strings = root["strings"]?.arrayValue else { throw FormatError("tokenizer_parity.json", "no strings") }
        func expected(_ v: JSONValue?) throws -> Expected {
            guard let v, let ids = v["ids"]?.arrayValue, let ns = v["ids_no_special"]?.arrayValue,
                let toks = v["tokens"]?.arrayValue, let dec = v["decoded"]?.stringValue
            else { throw FormatError("tokenizer_parity.json", "malformed entry") }
            return Expected(
                ids: ids.compactMap(\.intValue), idsNoSpecial: ns.compactMap(\.intValue),
                tokens: toks.compactMap(\.stringValue), decoded: dec)
        }
        return try strings.map { s in
            guard let text = s["text"]?.stringValue else { throw FormatError("tokenizer_parity.json", "entry without text") }
            return ParityCase(text: text, phi3: try expected(s["phi3_v"]), llava: try expected(s["llava_next"]))
        }
    }

    static func parseJSON(_ path: String) throws -> JSONValue {
        let f = try MappedFile(path: path)
        do { return try JSONParser.parse(f.bytes) } catch { throw FormatError(path, "\(error)") }
    }

    /// A `GGUFVocabulary` from the JSON dump written by Tools/make_tokenizer_fixtures.py.
    static func ggufVocabulary(_ stem: String) throws -> GGUFVocabulary {
        let path = tokenizerDir + "/\(stem).json"
        let j = try parseJSON(path)
        guard let tokens = j["tokens"]?.arrayValue?.compactMap(\.stringValue),
            let scores = j["scores"]?.arrayValue?.compactMap(\.doubleValue),
            let types = j["token_type"]?.arrayValue?.compactMap(\.intValue),
            let model = j["model"]?.stringValue
        else { throw FormatError(path, "malformed vocabulary dump") }
        return GGUFVocabulary(
            model: model, tokens: tokens, scores: scores.map { Float($0) }, tokenTypes: types.map { Int32($0) },
            bosTokenID: j["bos_token_id"]?.intValue, eosTokenID: j["eos_token_id"]?.intValue,
            unknownTokenID: j["unknown_token_id"]?.intValue, paddingTokenID: j["padding_token_id"]?.intValue,
            addBOS: j["add_bos_token"]?.boolValue ?? true, addEOS: j["add_eos_token"]?.boolValue ?? false,
            addSpacePrefix: j["add_space_prefix"]?.boolValue ?? true, source: path)
    }

    /// llama.cpp's `.inp`/`.out` test vectors (ids without BOS).
    static func ggmlVectors(_ gguf: String) throws -> [(text: String, ids: [Int])] {
        let inp = Array(try Data(contentsOf: URL(fileURLWithPath: tokenizerDir + "/\(gguf).inp")))
        let out = Array(try Data(contentsOf: URL(fileURLWithPath: tokenizerDir + "/\(gguf).out")))
        var texts = splitBytes(inp, Array("\n__ggml_vocab_test__\n".utf8)).map { String(decoding: $0, as: UTF8.self) }
        if texts.last == "" { texts.removeLast() }
        var lines = splitBytes(out, [0x0A]).map { String(decoding: $0, as: UTF8.self) }
        if lines.last == "" { lines.removeLast() }
        guard texts.count == lines.count else {
            throw FormatError(gguf, "\(texts.count) inputs but \(lines.count) outputs")
        }
        return zip(texts, lines).map { t, l in (t, l.split(separator: " ").compactMap { Int($0) }) }
    }

    static func splitBytes(_ s: [UInt8], _ sep: [UInt8]) -> [[UInt8]] {
        var parts: [[UInt8]] = []
        var start = 0, i = 0
        while i + sep.count <= s.count {
            if s[i..<(i + sep.count)].elementsEqual(sep) {
                parts.append(Array(s[start..<i]))
                i += sep.count
                start = i
            } else {
                i += 1
            }
        }
        parts.append(Array(s[start...]))
        return parts
    }
}
