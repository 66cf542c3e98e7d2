import Foundation
import Testing
import TensorFormats
@testable import Preprocessing

/// The GGUF-vocabulary path against llama.cpp's vocab test vectors (made with HF AutoTokenizer).
@Suite struct TokenizerGGUFTests {
    typealias F = TokenizerFixtures

    static func check(_ stem: String) throws -> (count: Int, bad: [String]) {
        let tokenizer = try Tokenizer(ggufVocabulary: F.ggufVocabulary(stem))
        let vectors = try F.ggmlVectors("\(stem).gguf")
        var bad: [String] = []
        for (text, ids) in vectors {
            let got = tokenizer.encode(text, addSpecialTokens: false)
            if got != ids { bad.append("\(text.debugDescription): \(got) != \(ids)") }
        }
        return (vectors.count, bad)
    }

    @Test func phi3VocabularyPassesLlamaCppVectors() throws {
        let (count, bad) = try Self.check("ggml-vocab-phi-3")
        #expect(count == 46)
        #expect(bad.isEmpty, "\(bad.count) of \(count) differ:\n\(bad.prefix(10).joined(separator: "\n"))")
    }

    @Test func llamaSPMVocabularyPassesLlamaCppVectors() throws {
        let (count, bad) = try Self.check("ggml-vocab-llama-spm")
        #expect(count == 46)
        #expect(bad.isEmpty, "\(bad.count) of \(count) differ:\n\(bad.prefix(10).joined(separator: "\n"))")
    }

    @Test func phi3VocabularyMetadata() throws {
        let v = try F.ggufVocabulary("ggml-vocab-phi-3")
        #expect(v.tokens.count == 32064)
        let t = try Tokenizer(ggufVocabulary: v)
        #expect(t.bosTokenID == 1 && t.eosTokenID == 32000 && t.unknownTokenID == 0 && t.padTokenID == 32000)
        #expect(t.encode("") == [1])
        #expect(t.encode("<|user|>\nHi<|end|>") == [1, 32010, 29871, 13, 18567, 32007])
        #expect(t.isSpecial(32010) && !t.isSpecial(2))  // </s> is user-defined in this GGUF
        #expect(t.decode([1, 32010, 15043], skipSpecialTokens: true) == "Hello")
        // The committed GGUF is the one the JSON was dumped from.
        let size = (try FileManager.default.attributesOfItem(atPath: F.tokenizerDir + "/ggml-vocab-phi-3.gguf")[.size] as? Int) ?? 0
        #expect(size == 726_019)
    }

    @Test func rejectsOtherTokenizerModels() throws {
        let v = GGUFVocabulary(model: "bert", tokens: ["a"], scores: [0], tokenTypes: [1], source: "x.gguf")
        #expect(throws: FormatError("x.gguf", "tokenizer.ggml.model 'bert' is not supported (only 'llama', SentencePiece BPE, and 'gpt2', byte-level BPE)")) {
            try Tokenizer(ggufVocabulary: v)
        }
        let w = GGUFVocabulary(model: "llama", tokens: ["a", "b"], scores: [0], tokenTypes: [1, 1], source: "y.gguf")
        #expect(throws: FormatError.self) { try Tokenizer(ggufVocabulary: w) }
    }
}

/// The vocabulary read straight from `ggml-vocab-phi-3.gguf` through the GGUF reader gives llama.cpp's
/// expected ids on all its test vectors (ids without BOS).
@Test func ggufFileVocabularyPassesLlamaCppVectors() throws {
    let dir = TokenizerFixtures.tokenizerDir
    let tokenizer = try Tokenizer.load(model: dir + "/ggml-vocab-phi-3.gguf")
    let inputs = try String(contentsOfFile: dir + "/ggml-vocab-phi-3.gguf.inp", encoding: .utf8).components(separatedBy: "\n__ggml_vocab_test__\n")
    let outputs = try String(contentsOfFile: dir + "/ggml-vocab-phi-3.gguf.out", encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
    var checked = 0
    for (i, text) in inputs.enumerated() where i < outputs.count && !(i == inputs.count - 1 && text.isEmpty) {
        let want = outputs[i].split(separator: " ").compactMap { Int($0) }
        #expect(tokenizer.encode(text, addSpecialTokens: false) == want, "vector \(i): \(text.debugDescription)")
        checked += 1
    }
    #expect(checked == 46)
}
