import Foundation
import TensorFormats
import Testing
@testable import Preprocessing

/// Parity with the upstream HF tokenizers on the 230 strings of tokenizer_parity.json.
@Suite struct TokenizerParityTests {
    typealias F = TokenizerFixtures

    /// Checks every parity string; returns a description of each mismatch.
    static func mismatches(
        _ tokenizer: Tokenizer, _ cases: [F.ParityCase], _ pick: (F.ParityCase) -> F.Expected, checkPieces: Bool = true
    ) -> [String] {
        var bad: [String] = []
        for c in cases {
            let e = pick(c)
            let ids = tokenizer.encode(c.text, addSpecialTokens: true)
            if ids != e.ids { bad.append("\(c.text.debugDescription): ids \(ids) != \(e.ids)") }
            let plain = tokenizer.encode(c.text, addSpecialTokens: false)
            if plain != e.idsNoSpecial { bad.append("\(c.text.debugDescription): no-special ids \(plain) != \(e.idsNoSpecial)") }
            if checkPieces {
                let pieces = tokenizer.encodeToPieces(c.text)
                if pieces.map({ Array($0.utf8) }) != e.tokens.map({ Array($0.utf8) }) { bad.append("\(c.text.debugDescription): pieces \(pieces) != \(e.tokens)") }
            }
            let text = tokenizer.decode(e.idsNoSpecial, skipSpecialTokens: false)
            if !text.utf8.elementsEqual(e.decoded.utf8) { bad.append("\(c.text.debugDescription): decoded \(text.debugDescription) != \(e.decoded.debugDescription)") }
        }
        return bad
    }

    @Test func parityFileHas230Strings() throws {
        #expect(try F.parity.get().count == 230)
    }

    @Test func phi3TokenizerJSONMatchesUpstream() throws {
        let bad = Self.mismatches(try F.phi3.get(), try F.parity.get(), \.phi3)
        #expect(bad.isEmpty, "\(bad.count) mismatches:\n\(bad.prefix(10).joined(separator: "\n"))")
    }

    @Test func llavaTokenizerJSONMatchesUpstream() throws {
        let bad = Self.mismatches(try F.llava.get(), try F.parity.get(), \.llava)
        #expect(bad.isEmpty, "\(bad.count) mismatches:\n\(bad.prefix(10).joined(separator: "\n"))")
    }

    /// Score-based merging from the SentencePiece `.model` gives the same ids as the merges list.
    @Test func llavaSentencePieceModelMatchesTokenizerJSON() throws {
        let spm = try F.llavaSPM.get()
        #expect(spm.vocabularySize == 32002)
        #expect(spm.id(forPiece: "<image>") == 32000 && spm.id(forPiece: "<pad>") == 32001)
        let bad = Self.mismatches(spm, try F.parity.get(), \.llava)
        #expect(bad.isEmpty, "\(bad.count) mismatches:\n\(bad.prefix(10).joined(separator: "\n"))")
    }

    /// The Phi-3 GGUF vocabulary (same 32000 base pieces as Phi-3.5-V, merged by score) agrees with
    /// the Phi-3.5-V tokenizer.json on every parity string whose ids contain no added/special token.
    @Test func phi3GGUFScoresMatchTokenizerJSONOnPlainText() throws {
        let gguf = try Tokenizer(ggufVocabulary: F.ggufVocabulary("ggml-vocab-phi-3"))
        var checked = 0
        var bad: [String] = []
        for c in try F.parity.get() where c.phi3.idsNoSpecial.allSatisfy({ $0 > 2 && $0 < 32000 }) {
            checked += 1
            let ids = gguf.encode(c.text)
            if ids != c.phi3.ids { bad.append("\(c.text.debugDescription): \(ids) != \(c.phi3.ids)") }
            if !gguf.decode(c.phi3.idsNoSpecial).utf8.elementsEqual(c.phi3.decoded.utf8) { bad.append("\(c.text.debugDescription): decode differs") }
        }
        #expect(checked >= 150)
        #expect(bad.isEmpty, "\(bad.count) of \(checked) differ:\n\(bad.prefix(10).joined(separator: "\n"))")
    }
}

/// The LLaVA fixture's `tokenizer.model` is the real Mistral v0.1 SentencePiece model shipped in the
/// mistral-common 1.13.1 wheel (`mistral_common/data/tokenizer.model.v1`), byte for byte, so the
/// `.model` parity test above is the real-tokenizer check.
@Test func llavaTokenizerModelIsMistralCommonV1() throws {
    let bytes = try #require(FileManager.default.contents(atPath: TokenizerFixtures.repoRoot + "/Fixtures/models/llava_next/tokenizer.model"))
    #expect(SHA256.hex([UInt8](bytes)) == "dadfd56d766715c61d2ef780a525ab43b8e6da4de6865bda3d95fdef5e134055")
}
