import Foundation
import HummingbirdTesting
import Testing
import Runtime
@testable import Server

/// What the server answers equals `EmbeddingEngine.embed` of each input alone (what `vlmembed embed`
/// writes), bit for bit, in both request forms and both encodings, on both backbones and a bundle.
@Suite(.serialized) struct ServerParityTests {
    static let texts = ["Find me an everyday image that matches the given caption: a cup of espresso on a saucer",
                        "a", "Represent the given image.", String(repeating: "long prompt ", count: 40)]

    func solo(_ engine: EmbeddingEngine, _ input: EmbeddingInput) throws -> [Float] {
        try engine.embed(input).vector
    }

    func checkTextAndImageForms(model: String, marker: String) async throws {
        let engine = try EmbeddingEngine.open(ModelSpec(path: model))
        let expectedTexts = try Self.texts.enumerated().map { try solo(engine, .prompt(id: "\($0)", $1)) }
        let expectedImage = try solo(engine, .prompt(id: "i", "\(marker) Represent the given image.", images: [.file(ServerFixtures.example)]))
        try await withServer(model) { _, client in
            for encoding in ["float", "base64"] {
                let r = try await client.postJSON("/v1/embeddings", ServerFixtures.inputBody(Self.texts, encoding: encoding))
                #expect(r.status == .ok, "\(String(buffer: r.body).prefix(300))")
                let answer = try EmbeddingsAnswer(r)
                #expect(answer.vectors == expectedTexts, "\(model) \(encoding)")
                let m = try await client.postJSON("/v1/embeddings", ServerFixtures.messagesBody(image: ServerFixtures.example, text: "Represent the given image.", encoding: encoding))
                #expect(m.status == .ok, "\(String(buffer: m.body).prefix(300))")
                #expect(try EmbeddingsAnswer(m).vectors == [expectedImage], "\(model) messages \(encoding)")
            }
        }
    }

    @Test func phi3VSourceFolder() async throws {
        try await checkTextAndImageForms(model: ServerFixtures.phi3V, marker: "<|image_1|>")
    }

    @Test func llavaNextSourceFolder() async throws {
        try await checkTextAndImageForms(model: ServerFixtures.llavaNext, marker: "<image>")
    }

    @Test func tokenArraysEqualTheirText() async throws {
        let engine = try EmbeddingEngine.open(ModelSpec(path: ServerFixtures.phi3V))
        let ids = engine.tokenizer.encode("a cup of espresso", addSpecialTokens: true)
        let expected = try solo(engine, .prompt(id: "t", "a cup of espresso"))
        try await withServer(ServerFixtures.phi3V) { _, client in
            let r = try await client.postJSON("/v1/embeddings", #"{"input":[[\#(ids.map(String.init).joined(separator: ","))]]}"#)
            #expect(r.status == .ok)
            let answer = try EmbeddingsAnswer(r)
            #expect(answer.vectors == [expected])
            #expect(answer.promptTokens == ids.count)
        }
    }
}
