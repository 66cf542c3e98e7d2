import Bundle
import Foundation
import HummingbirdTesting
import ModelGraph
import Runtime
import Testing
@testable import Server

/// A quantized bundle served: answers equal the bundle's own solo embeddings, bit for bit, also
/// when many short requests are packed into one forward.
@Suite(.serialized) struct ServerBundleTests {
    static let bundle: String = {
        let path = NSTemporaryDirectory() + "vlmembed-server-\(getpid())-int8.vlmb"
        if !FileManager.default.fileExists(atPath: path), let (graph, merges) = try? ModelSource.openEmbeddingGraph(ServerFixtures.phi3V) {
            try? BundleWriter(plan: QuantizationPlan(decoder: .int8), adapterPath: nil, mergedModules: merges.count).write(graph, to: path)
        }
        return path
    }()

    @Test func int8BundleTextsAndImage() async throws {
        let engine = try EmbeddingEngine.open(ModelSpec(path: Self.bundle))
        #expect(engine.info.decoderScheme == "int8")
        let texts = ServerParityTests.texts + (1...20).map { "query number \($0)" }
        let expected = try texts.enumerated().map { try engine.embed(.prompt(id: "\($0)", $1)).vector }
        let image = try engine.embed(.prompt(id: "i", "<|image_1|> Represent the given image.", images: [.file(ServerFixtures.coffee)])).vector
        try await withServer(Self.bundle) { _, client in
            let r = try await client.postJSON("/v1/embeddings", ServerFixtures.inputBody(texts))
            #expect(r.status == .ok)
            #expect(try EmbeddingsAnswer(r).vectors == expected)
            let m = try await client.postJSON("/v1/embeddings", ServerFixtures.messagesBody(image: ServerFixtures.coffee, text: "Represent the given image."))
            #expect(try EmbeddingsAnswer(m).vectors == [image])
            let models = try await client.execute(uri: "/v1/models", method: .get)
            #expect(String(buffer: models.body).contains(#""decoder":"int8""#))
        }
    }
}
