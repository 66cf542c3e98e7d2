import Preprocessing
import TensorFormats

/// Tokenizers from every file they come from, each then run over a few texts (encode, pieces,
/// decode), and the fixture tokenizers over fuzzed text.
enum TokenizerEntries {
    static let texts = [
        "Hello world", " <|image_1|>\nRepresent the given image.", "<image> what is this?",
        "héllo  wörld ✓ 日本語 \u{1F600}\t\r\n", "<s>a</s><unk>", "",
    ]

    static func exercise(_ t: Tokenizer) {
        for text in texts {
            let ids = t.encode(text, addSpecialTokens: true)
            _ = t.encodeToPieces(text)
            _ = t.decode(ids, skipSpecialTokens: true)
        }
    }

    /// `tokenizer.json` (Hugging Face tokenizers).
    static let tokenizerJSON: FuzzEntries.Entry = { bytes in
        exercise(try Tokenizer(huggingFaceJSON: bytes, config: nil, path: "tokenizer.json"))
    }

    /// A SentencePiece `tokenizer.model`.
    static let tokenizerModel: FuzzEntries.Entry = { bytes in
        exercise(try Tokenizer(sentencePieceModel: bytes, path: "tokenizer.model"))
    }

    /// `added_tokens.json` on top of the LLaVA-NeXT fixture's `tokenizer.model`.
    static let addedTokens: FuzzEntries.Entry = { bytes in
        var t = baseSentencePiece
        try t.addTokens(fromAddedTokensJSON: bytes, path: "added_tokens.json")
        exercise(t)
    }

    /// The vocabulary of a GGUF file (as a bundle's `tokenizer.gguf` or a GGUF model's).
    static let ggufVocab: FuzzEntries.Entry = { bytes in
        exercise(try Tokenizer(ggufBytes: [UInt8](bytes), source: "tokenizer.gguf"))
    }

    /// Request text through the fixture tokenizers (BPE `tokenizer.json`, SentencePiece, GGUF BPE).
    static let text: FuzzEntries.Entry = { bytes in
        let text = bytes.text
        for t in fixtureTokenizers {
            let ids = t.encode(text, addSpecialTokens: true)
            _ = t.decode(ids)
        }
    }

    static let baseSentencePiece: Tokenizer = {
        FixtureFile.bytes("Fixtures/models/llava_next/tokenizer.model").withUnsafeBytes {
            try! Tokenizer(sentencePieceModel: $0, path: "tokenizer.model")
        }
    }()

    static let fixtureTokenizers: [Tokenizer] = [
        FixtureFile.bytes("Fixtures/models/phi3_v/tokenizer.json").withUnsafeBytes {
            try! Tokenizer(huggingFaceJSON: $0, config: nil, path: "tokenizer.json")
        },
        baseSentencePiece,
        try! Tokenizer(ggufBytes: FixtureFile.bytes("Fixtures/tokenizer/ggml-vocab-phi-3.gguf"), source: "tokenizer.gguf"),
    ]
}
