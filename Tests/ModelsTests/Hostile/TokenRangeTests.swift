import Foundation
import Testing
import ModelGraph
import Models

/// Token ids at or past the vocabulary size are an error for the request — alone or packed — never
/// clamped silently to the last embedding row.
@Suite struct TokenRangeTests {
    @Test func outOfRangeIdIsAnErrorNamingTheRequest() throws {
        let (pipeline, cleanup) = try PackedForwardTests.pipeline("phi3_v", "source")
        defer { cleanup() }
        let vocab = pipeline.graph.config.decoder.vocabSize
        let bad = PreparedInput(inputIds: [1, 450, vocab + 7])
        #expect { try pipeline.embed(id: "q1", input: bad) } throws: {
            "\($0)" == "request 'q1': token id \(vocab + 7) at position 2 is outside the model's \(vocab)-token vocabulary (tokenizer and model disagree)"
        }
        let good = PreparedInput(inputIds: [1, 450, vocab - 1])
        let results = pipeline.embedPacked([(id: "a", input: good), (id: "b", input: bad)])
        #expect((try? results[0].get())?.count == pipeline.graph.config.decoder.hiddenSize)
        #expect { try results[1].get() } throws: { "\($0)".hasPrefix("request 'b': token id \(vocab + 7)") }
    }
}
