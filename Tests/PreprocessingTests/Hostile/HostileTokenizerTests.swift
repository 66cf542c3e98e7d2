import Foundation
import Testing
@testable import Preprocessing
import TensorFormats

/// Tokenizer numbers that would size tables past what the file justifies, and text-multiplying
/// normalizers: refused when the tokenizer loads, with one line naming the file and the value.
@Suite struct HostileTokenizerTests {
    static func tokenizerJSON(added: String = "[]", normalizer: String = "null") -> String {
        """
        {"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}, "added_tokens": \(added), "normalizer": \(normalizer)}
        """
    }

    static func load(_ json: String) -> String {
        do {
            _ = try Array(json.utf8).withUnsafeBytes { try Tokenizer(huggingFaceJSON: $0, config: nil, path: "m/tokenizer.json") }
            return "loaded"
        } catch { return "\(error)" }
    }

    @Test func baselineLoads() throws {
        #expect(Self.load(Self.tokenizerJSON(added: "[{\"id\": 3, \"content\": \"<x>\"}]")) == "loaded")
    }

    @Test func addedTokenIdOfTenToTheTwelveIsRefused() throws {
        #expect(Self.load(Self.tokenizerJSON(added: "[{\"id\": 1000000000000, \"content\": \"<x>\"}]"))
                == "m/tokenizer.json: added token '<x>' has id 1000000000000, beyond the 3-entry vocabulary and its 1 added tokens (limit 65539)")
    }

    @Test func vocabIdFarPastTheVocabularyIsRefused() throws {
        let json = "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 9000000}, \"merges\": []}}"
        #expect(Self.load(json) == "m/tokenizer.json: vocab entry 'b' has id 9000000, beyond the 2-entry vocabulary (limit 65537)")
    }

    @Test func addedTokensJSONIdOfTenToTheTwelveIsRefused() throws {
        var t = try Array(Self.tokenizerJSON().utf8).withUnsafeBytes { try Tokenizer(huggingFaceJSON: $0, config: nil, path: "m/tokenizer.json") }
        #expect { try Array("{\"<image>\": 1000000000000}".utf8).withUnsafeBytes { try t.addTokens(fromAddedTokensJSON: $0, path: "m/added_tokens.json") } } throws: {
            "\($0)" == "m/added_tokens.json: token '<image>' has id 1000000000000, beyond the 3-entry vocabulary and these 1 added tokens (limit 65539)"
        }
        try Array("{\"<image>\": 3}".utf8).withUnsafeBytes { try t.addTokens(fromAddedTokensJSON: $0, path: "m/added_tokens.json") }
        #expect(t.pieces.count == 4)
    }

    @Test func multiplyingReplaceChainIsRefused() throws {
        let step = "{\"type\": \"Replace\", \"pattern\": {\"String\": \"a\"}, \"content\": \"aaaaaaaa\"}"
        let chain = "{\"type\": \"Sequence\", \"normalizers\": [\(Array(repeating: step, count: 30).joined(separator: ","))]}"
        #expect(Self.load(Self.tokenizerJSON(normalizer: chain)) == "m/tokenizer.json: normalizer Replace steps can make a text unboundedly longer, above the limit of 64×")
        let three = "{\"type\": \"Sequence\", \"normalizers\": [\(Array(repeating: step, count: 3).joined(separator: ","))]}"
        #expect(Self.load(Self.tokenizerJSON(normalizer: three)) == "m/tokenizer.json: normalizer Replace steps can make a text 512× longer, above the limit of 64×")
        // Llama's own normalizer (prepend ▁, " " → "▁": 3×) is fine.
        let llama = "{\"type\": \"Sequence\", \"normalizers\": [{\"type\": \"Prepend\", \"prepend\": \"▁\"}, {\"type\": \"Replace\", \"pattern\": {\"String\": \" \"}, \"content\": \"▁\"}]}"
        #expect(Self.load(Self.tokenizerJSON(normalizer: llama)) == "loaded")
    }

    @Test func ggufVocabularyOfEmptyStringsIsRefused() throws {
        let v = GGUFVocabulary(model: "llama", tokens: ["", "", ""], scores: [0, 0, 0], tokenTypes: [1, 1, 1], source: "m.gguf")
        #expect { try Tokenizer(ggufVocabulary: v) } throws: { "\($0)" == "m.gguf: tokenizer.ggml.tokens holds only empty strings (3 of them)" }
        // Some empty pieces among real ones load and tokenize.
        let mixed = GGUFVocabulary(model: "llama", tokens: ["", "▁a", "a", "▁"], scores: [0, 1, 0, 0], tokenTypes: [1, 1, 1, 1], source: "m.gguf")
        #expect((try? Tokenizer(ggufVocabulary: mixed).encode("a a", addSpecialTokens: false)) != nil)
    }

    @Test func ggufTokenIdPastIntMaxIsOutsideTheVocabulary() throws {
        let metadata: [String: GGUFValue] = [
            "tokenizer.ggml.model": .string("llama"),
            "tokenizer.ggml.tokens": .array(elementType: .string, values: [.string("a"), .string("b")]),
            "tokenizer.ggml.bos_token_id": .uint64(UInt64.max),
        ]
        let v = try GGUFVocabulary(metadata: metadata, source: "m.gguf")
        #expect { try Tokenizer(ggufVocabulary: v) } throws: { "\($0)".contains("bos_token_id 9223372036854775807 is outside the 2-token vocabulary") }
    }
}
