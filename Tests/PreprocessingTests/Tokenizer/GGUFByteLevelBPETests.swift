import Foundation
import Testing
import TensorFormats
@testable import Preprocessing

/// Byte-level (GPT-2 style) BPE from a GGUF vocabulary, on hand-made vocabularies. Expected ids
/// follow from the vocabularies by hand; expected word splits are Python `regex` matches of the
/// GPT-2 pattern (after the `\p{N}` split for smollm).
@Suite struct GGUFByteLevelBPETests {
    static func vocabulary(
        _ tokens: [String], merges: [String], types: [Int32]? = nil, pre: String? = "gpt-2", addBOS: Bool = false, addEOS: Bool = false
    ) -> GGUFVocabulary {
        GGUFVocabulary(
            model: "gpt2", tokens: tokens, scores: [], tokenTypes: types ?? Array(repeating: 1, count: tokens.count),
            bosTokenID: tokens.count > 1 ? 1 : nil, eosTokenID: 0, addBOS: addBOS, addEOS: addEOS,
            merges: merges, preTokenizer: pre, source: "tiny.gguf")
    }

    @Test func mergesApplyInListOrder() throws {
        let tokens = ["a", "b", "c", "ab", "bc"]
        let first = try Tokenizer(ggufVocabulary: Self.vocabulary(tokens, merges: ["a b", "b c"]))
        #expect(first.encode("abc", addSpecialTokens: false) == [3, 2])
        let second = try Tokenizer(ggufVocabulary: Self.vocabulary(tokens, merges: ["b c", "a b"]))
        #expect(second.encode("abc", addSpecialTokens: false) == [0, 4])
        // Equal ranks resolve leftmost first: "aaa" → "aa" + "a".
        let tie = try Tokenizer(ggufVocabulary: Self.vocabulary(["a", "aa"], merges: ["a a"]))
        #expect(tie.encode("aaa", addSpecialTokens: false) == [1, 0])
    }

    @Test func bytesUseGPT2Alphabet() throws {
        // GPT-2's bytes_to_unicode: printable Latin-1 stands for itself, the rest shifts to U+0100….
        let table = ByteLevelAlphabet.scalarOfByte
        #expect(table[0x00] == 0x100 && table[0x09] == 0x109 && table[0x0A] == 0x10A && table[0x20] == 0x120)
        #expect(table[0x21] == 0x21 && table[0x7E] == 0x7E && table[0x7F] == 0x121 && table[0xA0] == 0x142)
        #expect(table[0xA1] == 0xA1 && table[0xAC] == 0xAC && table[0xAD] == 0x143 && table[0xFF] == 0xFF)
        #expect(Set(table).count == 256)

        // "é" is C3 A9 → "Ã" "©"; " a" merges to "Ġa"; "\n" is "Ċ".
        let t = try Tokenizer(ggufVocabulary: Self.vocabulary(["a", "Ġ", "Ċ", "Ã", "©", "Ġa"], merges: ["Ġ a"]))
        let ids = t.encode(" a\né", addSpecialTokens: false)
        #expect(ids == [5, 2, 3, 4])
        #expect(t.decode(ids) == " a\né")
        #expect(t.decode([3]) == "\u{FFFD}")  // a lone lead byte
    }

    @Test(arguments: [
        ("gpt-2", "I'm  you're 12 apples!!\n\n  x", ["I", "'m", " ", " you", "'re", " 12", " apples", "!!", "\n\n ", " x"]),
        ("smollm", "I'm  you're 12 apples!!\n\n  x", ["I", "'m", " ", " you", "'re", " ", "1", "2", " apples", "!!", "\n\n ", " x"]),
        ("gpt-2", "a  1", ["a", " ", " 1"]),
        ("smollm", "a  1", ["a", "  ", "1"]),
        ("gpt-2", "don't\tstop  ", ["don", "'t", "\t", "stop", "  "]),
        ("gpt-2", " x½²3", [" x", "½²3"]),
        ("smollm", " x½²3", [" x", "½", "²", "3"]),
    ])
    func preTokenizerSplitsLikeTheRegex(pre: String, text: String, words: [String]) throws {
        let p = try #require(ByteLevelPreTokenizer(ggufName: pre))
        let (bytes, ranges) = p.split(Array(text.utf8))
        let got = ranges.map { r in
            String(decoding: ByteLevelAlphabet.bytes(of: String(decoding: bytes[r], as: UTF8.self)) ?? [], as: UTF8.self)
        }
        #expect(got == words)
    }

    @Test func unsupportedPreTokenizerIsRefused() throws {
        let v = Self.vocabulary(["a"], merges: [], pre: "qwen2")
        #expect(throws: FormatError("tiny.gguf", "tokenizer.ggml.pre 'qwen2' is not supported (supported: default, gpt-2, gpt2, smollm)")) {
            try Tokenizer(ggufVocabulary: v)
        }
        var noMerges = Self.vocabulary(["a"], merges: [])
        noMerges.merges = nil
        #expect(throws: FormatError("tiny.gguf", "no tokenizer.ggml.merges: a gpt2 vocabulary needs its merges")) {
            try Tokenizer(ggufVocabulary: noMerges)
        }
        #expect(throws: FormatError("tiny.gguf", "tokenizer.ggml.merges[0] 'a c' uses a piece that is not in the vocabulary")) {
            try Tokenizer(ggufVocabulary: Self.vocabulary(["a", "b"], merges: ["a c"]))
        }
    }

    @Test func controlAndUserDefinedTokensMatchLiterally() throws {
        let tokens = ["<|end|>", "<|start|>", "<u>", "a", "b", "Ġ"]
        let t = try Tokenizer(ggufVocabulary: Self.vocabulary(tokens, merges: [], types: [3, 3, 4, 1, 1, 1], addBOS: true, addEOS: true))
        #expect(t.encode("<|start|>a <u>b") == [1, 1, 3, 5, 2, 4, 0])
        #expect(t.encode("<|start|>a <u>b", addSpecialTokens: false) == [1, 3, 5, 2, 4])
        #expect(t.isSpecial(0) && t.isSpecial(1) && !t.isSpecial(2))
        #expect(t.decode([1, 3, 5, 2, 4, 0]) == "<|start|>a <u>b<|end|>")
        #expect(t.decode([1, 3, 5, 2, 4, 0], skipSpecialTokens: true) == "a <u>b")
    }

    @Test func metadataReading() throws {
        let metadata: [String: GGUFValue] = [
            "tokenizer.ggml.model": .string("gpt2"),
            "tokenizer.ggml.pre": .string("smollm"),
            "tokenizer.ggml.tokens": .array(elementType: .string, values: ["a", "b", "ab"].map { .string($0) }),
            "tokenizer.ggml.token_type": .array(elementType: .int32, values: [1, 1, 1].map { .int32($0) }),
            "tokenizer.ggml.merges": .array(elementType: .string, values: [.string("a b")]),
            "tokenizer.ggml.eos_token_id": .uint32(0),
        ]
        let v = try GGUFVocabulary(metadata: metadata, source: "m.gguf")
        #expect(v.merges == ["a b"] && v.preTokenizer == "smollm")
        #expect(!v.addBOS && !v.addEOS)  // llama.cpp: BPE vocabularies add no BOS unless the file says so
        #expect(try Tokenizer(ggufVocabulary: v).encode("ab") == [2])
        var llama = metadata
        llama["tokenizer.ggml.model"] = .string("llama")
        #expect(try GGUFVocabulary(metadata: llama, source: "m.gguf").addBOS)
    }
}

/// SmolLM2-135M-Instruct's GGUF vocabulary (gpt2 BPE, pre "smollm") against llama.cpp's own
/// llama-tokenize on 273 strings (Fixtures/tokenizer/smollm2_gguf_parity.json, made by
/// Tools/make_gguf_bpe_tokenizer_reference.py), and against transformers where the two agree.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["VLMEMBED_REAL_DATA"] != nil,
                              "set VLMEMBED_REAL_DATA to the folder holding SmolLM2-135M-Instruct.Q4_1.gguf"))
struct RealSmolLM2TokenizerTests {
    static let ggufPath = (ProcessInfo.processInfo.environment["VLMEMBED_REAL_DATA"] ?? "") + "/SmolLM2-135M-Instruct.Q4_1.gguf"
    static let reference = Result { try TokenizerFixtures.parseJSON(TokenizerFixtures.tokenizerDir + "/smollm2_gguf_parity.json") }
    static let vocabulary = Result { try GGUFVocabulary(gguf: GGUFFile(path: ggufPath)) }

    static func ids(_ v: JSONValue?) -> [Int]? { v?.arrayValue?.compactMap(\.intValue) }

    @Test func referenceWasMadeFromThisFile() throws {
        let ref = try Self.reference.get()
        let file = try MappedFile(path: Self.ggufPath)
        #expect(SHA256.hex(file.bytes) == ref["gguf"]?["sha256"]?.stringValue)
        let v = try Self.vocabulary.get()
        #expect(v.model == "gpt2" && v.preTokenizer == "smollm" && v.tokens.count == 49152 && v.merges?.count == 48900)
    }

    @Test func idsEqualLlamaCppAndDecodeRoundTrips() throws {
        let ref = try Self.reference.get()
        #expect(ref["reference"]?.stringValue == "llama_cpp")
        let t = try Tokenizer(ggufVocabulary: Self.vocabulary.get())
        let strings = ref["strings"]?.arrayValue ?? []
        #expect(strings.count == 273)
        var bad: [String] = []
        var agreeWithHF = 0
        for s in strings {
            guard let text = s["text"]?.stringValue, let want = Self.ids(s["llama_cpp"]?["ids"]),
                let wantNS = Self.ids(s["llama_cpp"]?["ids_no_special"]), let hf = Self.ids(s["hf"]?["ids_no_special"])
            else { throw FormatError("smollm2_gguf_parity.json", "malformed entry") }
            let got = t.encode(text), gotNS = t.encode(text, addSpecialTokens: false)
            if got != want || gotNS != wantNS { bad.append("\(text.debugDescription): \(gotNS) != \(wantNS)") }
            if gotNS == hf { agreeWithHF += 1 }
            let decoded = t.decode(gotNS)
            if decoded != text || decoded != s["hf"]?["decoded"]?.stringValue { bad.append("decode \(text.debugDescription): \(decoded.debugDescription)") }
        }
        #expect(bad.isEmpty, "\(bad.count) differ:\n\(bad.prefix(10).joined(separator: "\n"))")
        #expect(agreeWithHF == strings.count - (ref["disagreements"]?.arrayValue?.count ?? 0))
    }

    /// The same vocabulary with `tokenizer.ggml.pre` rewritten, against llama-tokenize on rewritten copies.
    @Test(arguments: ["gpt-2", "default"])
    func otherPreTokenizersEqualLlamaCpp(pre: String) throws {
        var v = try Self.vocabulary.get()
        v.preTokenizer = pre
        let t = try Tokenizer(ggufVocabulary: v)
        var bad: [String] = []
        for s in try Self.reference.get()["strings"]?.arrayValue ?? [] {
            guard let text = s["text"]?.stringValue, let want = Self.ids(s["llama_cpp_pre"]?[pre]) else {
                throw FormatError("smollm2_gguf_parity.json", "entry without llama_cpp_pre.\(pre)")
            }
            let got = t.encode(text, addSpecialTokens: false)
            if got != want { bad.append("\(text.debugDescription): \(got) != \(want)") }
        }
        #expect(bad.isEmpty, "\(bad.count) differ:\n\(bad.prefix(10).joined(separator: "\n"))")
    }
}
