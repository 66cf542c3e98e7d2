import Foundation
import Testing
import TensorFormats
@testable import Preprocessing

/// A GGUF's vocabulary-only copy (`vocabularyOnlyBytes`, what bundles embed as `tokenizer.gguf`)
/// loaded through `Tokenizer.load(origin:file:)` tokenizes exactly like the original file.
@Suite struct GGUFVocabularyOnlyTests {
    /// Every parity string, with and without specials, plus decoding, from both tokenizers.
    static func roundTrip(_ path: String, texts: [String]) throws {
        let original = try Tokenizer(ggufVocabulary: GGUFVocabulary(gguf: GGUFFile(path: path)))
        let bytes = try GGUFFile(path: path).vocabularyOnlyBytes()
        var asked: [String] = []
        let embedded = try Tokenizer.load(origin: "bundle.vlmb") { name in
            asked.append(name)
            return name == "tokenizer.gguf" ? bytes : Array("{}".utf8)
        }
        #expect(asked == ["tokenizer.gguf"])  // checked first; nothing else is read
        #expect(embedded.vocabularySize == original.vocabularySize)
        var bad: [String] = []
        for text in texts {
            let ids = original.encode(text), ns = original.encode(text, addSpecialTokens: false)
            if embedded.encode(text) != ids || embedded.encode(text, addSpecialTokens: false) != ns
                || embedded.decode(ids, skipSpecialTokens: true) != original.decode(ids, skipSpecialTokens: true) {
                bad.append(text.debugDescription)
            }
        }
        #expect(bad.isEmpty, "\(bad.count) of \(texts.count) differ: \(bad.prefix(5))")
    }

    @Test func phi3VocabularyRoundTrips() throws {
        let texts = try TokenizerFixtures.parity.get().map(\.text)
        #expect(texts.count == 230)
        try Self.roundTrip(TokenizerFixtures.tokenizerDir + "/ggml-vocab-phi-3.gguf", texts: texts)
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["VLMEMBED_REAL_DATA"] != nil,
                   "set VLMEMBED_REAL_DATA to the folder holding SmolLM2-135M-Instruct.Q4_1.gguf"))
    func smolLM2VocabularyRoundTrips() throws {
        let ref = try TokenizerFixtures.parseJSON(TokenizerFixtures.tokenizerDir + "/smollm2_gguf_parity.json")
        let texts = (ref["strings"]?.arrayValue ?? []).compactMap { $0["text"]?.stringValue }
        #expect(texts.count == 273)
        let dir = ProcessInfo.processInfo.environment["VLMEMBED_REAL_DATA"] ?? ""
        try Self.roundTrip(dir + "/SmolLM2-135M-Instruct.Q4_1.gguf", texts: texts)
    }
}
