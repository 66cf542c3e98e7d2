import Foundation
import Testing
import TensorFormats
@testable import Preprocessing

/// Edge cases; expected ids come from HF `tokenizers` 0.23.3 on the same tokenizer.json files.
@Suite struct TokenizerEdgeCaseTests {
    typealias F = TokenizerFixtures

    @Test func emptyAndWhitespaceOnly() throws {
        let phi = try F.phi3.get(), llava = try F.llava.get()
        #expect(phi.encode("") == [1])
        #expect(phi.encode("", addSpecialTokens: false) == [])
        #expect(llava.encode("") == [1])
        #expect(phi.encode(" ") == [1, 259])
        #expect(phi.encode("   ") == [1, 268])
        #expect(llava.encode("   ") == [1, 260])
        #expect(phi.decode([268]) == "   ")
    }

    @Test func newlineIsByte13OnPhi() throws {
        let phi = try F.phi3.get()
        #expect(phi.encode("\n") == [1, 29871, 13])
        #expect(phi.encode("a\nb") == [1, 263, 13, 29890])
        #expect(phi.encodeToPieces("\n") == ["\u{2581}", "<0x0A>"])
    }

    /// Phi-3.5-V text-only prompts: `<|image_1|>` is not a token, just characters.
    @Test func imageTagIsOrdinaryTextOnPhi() throws {
        let phi = try F.phi3.get()
        #expect(phi.encode("<|image_1|> Represent the given image.") == [1, 529, 29989, 3027, 29918, 29896, 29989, 29958, 16314, 278, 2183, 1967, 29889])
        #expect(phi.encode(" Represent the given image.") == [1, 29871, 16314, 278, 2183, 1967, 29889])
        // Literal `<image>` is plain text for Phi but the added token 32000 for LLaVA.
        #expect(phi.encode("<image> Represent the given image.") == [1, 529, 3027, 29958, 16314, 278, 2183, 1967, 29889])
        #expect(try F.llava.get().encode("<image><image>\nWhat is it?") == [1, 32000, 32000, 28705, 13, 3195, 349, 378, 28804])
    }

    @Test func addedTokensAdjacentToText() throws {
        let phi = try F.phi3.get()
        #expect(phi.encode("Hi<|end|>there") == [1, 6324, 32007, 727])
        #expect(phi.encode("<|user|>\nHi<|end|>") == [1, 32010, 29871, 13, 18567, 32007])
        #expect(phi.encode("x <|user|> y") == [1, 921, 29871, 32010, 29871, 343])
        // `</s>` has rstrip: the spaces after it are eaten.
        #expect(phi.encode("</s>  x") == [1, 2, 921])
        #expect(try F.llava.get().encode("</s>  x") == [1, 2, 259, 1318])
    }

    @Test func unicodeAndByteFallback() throws {
        let phi = try F.phi3.get()
        #expect(phi.encode("你好世界") == [1, 29871, 30919, 31076, 30793, 30967])
        #expect(phi.encode("🦙") == [1, 29871, 243, 162, 169, 156])
        #expect(phi.decode([29871, 243, 162, 169, 156]) == "🦙")
        // Invalid byte runs decode to one U+FFFD per byte, like HF's ByteFallback decoder.
        #expect(phi.decode([243, 162, 15043, 243]) == "\u{FFFD}\u{FFFD} Hello\u{FFFD}")
    }

    /// "ά" U+03AC and "ά" U+1F71 are canonically equivalent (equal as Swift Strings) but are
    /// different pieces in the Llama vocabulary.
    @Test func canonicallyEquivalentPiecesStayDistinct() throws {
        let phi = try F.phi3.get()
        #expect(phi.encode("\u{03AC}", addSpecialTokens: false).last == 30216)
        #expect(phi.encode("\u{1F71}", addSpecialTokens: false).last == 31042)
        #expect(phi.id(forPiece: "\u{1F71}") == 31042)
        #expect(Array(phi.decode([31042]).unicodeScalars) == ["\u{1F71}"])
    }

    @Test func decodeSkipsOnlySpecialTokens() throws {
        let phi = try F.phi3.get(), llava = try F.llava.get()
        #expect(phi.decode([1, 32010, 15043, 2], skipSpecialTokens: true) == "Hello</s>")  // </s> is not special on Phi
        #expect(phi.decode([1, 32010, 15043, 2]) == "<s><|user|> Hello</s>")
        #expect(llava.decode([1, 32000, 22557, 32001], skipSpecialTokens: true) == "Hello")
        #expect(llava.decode([1, 32000, 22557, 32001]) == "<s><image> Hello<pad>")
        #expect(phi.decode([-5, 15043, 999_999]) == "Hello")
    }

    @Test func lstripAndSingleWordFlags() throws {
        var t = try F.phi3.get()
        try t.addTokens([
            AddedToken(content: "<x>", id: 32045, special: false, lstrip: true),
            AddedToken(content: "[w]", id: 32046, special: false, singleWord: true),
        ])
        #expect(t.encode("a  <x> b", addSpecialTokens: false) == [263, 32045, 29871, 289])
        #expect(t.encode("  <x>", addSpecialTokens: false) == [32045])
        #expect(t.encode("a[w]b", addSpecialTokens: false) == [263, 29961, 29893, 29962, 29890])
        #expect(t.encode("a [w] b", addSpecialTokens: false) == [263, 29871, 32046, 29871, 289])
        // A `normalized` added token matches the normalized text ("▁ab▁c").
        var n = try F.phi3.get()
        try n.addTokens([AddedToken(content: "ab c", id: 32045, special: false, normalized: true)])
        #expect(n.encode("x ab c d", addSpecialTokens: false) == [921, 32045, 270])
        #expect(n.encode("ab cab c", addSpecialTokens: false) == [32045, 370, 274])
        #expect(n.encode("xab c", addSpecialTokens: false) == [921, 370, 274])
        #expect(throws: FormatError.self) { try t.addTokens([AddedToken(content: "<y>", id: 32045)]) }
        #expect(throws: FormatError.self) { try t.addTokens([AddedToken(content: "<x>", id: 7)]) }
    }

    /// A Metaspace pre-tokenizer (newer tokenizer.json form) with each prepend scheme; merges in
    /// the `[a, b]` array form. Built from LLaVA's tokenizer.json with the normalizer removed.
    static let metaspaceCases: [String: (split: Bool, ids: [[Int]], decoded: [String])] = [
        "first": (true, [[1, 22557, 1526], [1, 22557, 28705, 1526, 28705], [1, 32000, 17891, 272, 2078, 3469, 28723], [1, 264, 32000, 28726, 277], [1, 28705, 5374]],
                  ["Hello world", "Hello  world ", "Represent the given image.", "ab c", " leading"]),
        "always": (false, [[1, 22557, 1526], [1, 22557, 28705, 1526, 28705], [1, 32000, 17891, 272, 2078, 3469, 28723], [1, 264, 32000, 287, 277], [1, 28705, 5374]],
                   ["Hello world", "Hello  world ", "Represent the given image.", "a b c", " leading"]),
        "never": (true, [[1, 16230, 1526], [1, 22557, 28705, 1526, 28705], [1, 32000, 17891, 272, 2078, 3469, 28723], [1, 28708, 32000, 28726, 277], [1, 28705, 5374]],
                  ["Hello world", " Hello  world ", " Represent the given image.", "ab c", "  leading"]),
    ]

    @Test(arguments: ["first", "always", "never"])
    func metaspacePreTokenizer(scheme: String) throws {
        let expected = try #require(Self.metaspaceCases[scheme])
        let (split, ids, decoded) = (expected.split, expected.ids, expected.decoded)
        let texts = ["Hello world", " Hello  world ", "<image> Represent the given image.", "a<image>b c", "  leading"]
        var root = try F.parseJSON(F.llavaJSONPath)
        let ms = JSONValue.object([
            ("type", .string("Metaspace")), ("replacement", .string("\u{2581}")),
            ("prepend_scheme", .string(scheme)), ("split", .bool(split)),
        ])
        root = Self.setting(root, ["normalizer": .null, "pre_tokenizer": ms, "decoder": ms])
        if case .object(var pairs) = root, let i = pairs.firstIndex(where: { $0.0 == "model" }),
            case .object(var model) = pairs[i].1, let m = model.firstIndex(where: { $0.0 == "merges" }),
            let merges = model[m].1.arrayValue
        {
            model[m].1 = .array(merges.map { v in
                .array((v.stringValue ?? "").split(separator: " ").map { .string(String($0)) })
            })
            pairs[i].1 = .object(model)
            root = .object(pairs)
        }
        let dir = NSTemporaryDirectory() + "vlmembed-tok-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(root.serialized().utf8).write(to: URL(fileURLWithPath: dir + "/tokenizer.json"))
        let t = try Tokenizer(huggingFaceJSON: dir + "/tokenizer.json")
        for (k, text) in texts.enumerated() {
            let got = t.encode(text)
            #expect(got == ids[k], "\(text.debugDescription)")
            #expect(t.decode(got, skipSpecialTokens: true) == decoded[k], "\(text.debugDescription)")
        }
    }

    static func setting(_ v: JSONValue, _ values: [String: JSONValue]) -> JSONValue {
        guard case .object(let pairs) = v else { return v }
        return .object(pairs.map { k, old in (k, values[k] ?? old) })
    }

    /// No pre-tokenizer means a whole paragraph is one BPE word: it must stay fast.
    @Test func longSegmentsAreNotQuadratic() throws {
        let phi = try F.phi3.get()
        let sentence = "The quick brown fox jumps over the lazy dog, again and again; "
        let text = String(repeating: sentence, count: 2000)  // 124 KB, one segment
        let clock = ContinuousClock()
        var ids: [Int] = []
        let elapsed = clock.measure { ids = phi.encode(text, addSpecialTokens: false) }
        let unit = phi.encode(sentence, addSpecialTokens: false)
        #expect(ids.count > 20_000)
        #expect(Array(ids.prefix(unit.count - 2)) == Array(unit.prefix(unit.count - 2)))
        #expect(phi.decode(ids) == text)
        #expect(elapsed < .seconds(20), "took \(elapsed)")
        let run = String(repeating: "a", count: 50_000)
        let runIDs = phi.encode(run, addSpecialTokens: false)
        #expect(phi.decode(runIDs) == run)
    }

    @Test func sentencePieceErrors() throws {
        let dir = NSTemporaryDirectory() + "vlmembed-spm-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // pieces { piece: "a" score: 0 type: NORMAL } trainer_spec { model_type: UNIGRAM }
        let unigram: [UInt8] = [0x0A, 0x05, 0x0A, 0x01, 0x61, 0x18, 0x01, 0x12, 0x02, 0x18, 0x01]
        try Data(unigram).write(to: URL(fileURLWithPath: dir + "/uni.model"))
        #expect(throws: FormatError(dir + "/uni.model", "SentencePiece model_type is UNIGRAM (1); only BPE (2) is supported")) {
            try Tokenizer(sentencePieceModel: dir + "/uni.model")
        }
        // A length that runs past the end of the file.
        try Data([0x0A, 0x40, 0x0A]).write(to: URL(fileURLWithPath: dir + "/cut.model"))
        #expect(throws: FormatError.self) { try Tokenizer(sentencePieceModel: dir + "/cut.model") }
        #expect(throws: FormatError.self) { try Tokenizer(sentencePieceModel: dir + "/missing.model") }
    }

    @Test func sentencePieceModelSettings() throws {
        let t = try F.llavaSPM.get()
        #expect(t.bosTokenID == 1 && t.eosTokenID == 2 && t.unknownTokenID == 0 && t.padTokenID == nil)
        #expect(t.encode("Hello world") == [1, 22557, 1526])
        #expect(t.encode("<image> Represent") == [1, 32000, 28705, 17891])
        #expect(t.decode([1, 32000, 22557, 32001], skipSpecialTokens: true) == "Hello")
    }
}
