import Foundation
import HummingbirdTesting
import Runtime
import Testing
@testable import Server

/// In-process answers have the right shape and agree with the engine (exact equality across
/// processes is `ServeCommandTests`' job: other suites here may change the process's thread count).
@Suite(.serialized) struct ServerInProcessTests {
    @Test func textAndImageFormsAnswerPerInput() async throws {
        try await withServer(ServerFixtures.phi3V) { _, client in
            let texts = ["a cup of espresso", "x", "Represent the given image."]
            let r = try await client.postJSON("/v1/embeddings", ServerFixtures.inputBody(texts, encoding: "base64"))
            #expect(r.status == .ok)
            let answer = try EmbeddingsAnswer(r)
            #expect(answer.vectors.count == 3 && answer.vectors.allSatisfy { $0.count == 64 })
            #expect(answer.vectors.allSatisfy { abs($0.reduce(0) { $0 + $1 * $1 } - 1) < 1e-4 })
            let m = try await client.postJSON("/v1/embeddings", ServerFixtures.messagesBody(image: ServerFixtures.example, text: "Represent the given image."))
            #expect(m.status == .ok)
            #expect(try EmbeddingsAnswer(m).vectors.first?.count == 64)
            let models = try await client.execute(uri: "/v1/models", method: .get)
            #expect(String(buffer: models.body).contains(#""embedding_width":64"#))
            #expect(String(buffer: models.body).contains(#""backbone":"phi3_v""#))
        }
    }

    /// Many requests on one keep-alive connection keep one close callback, not one per request.
    @Test func keepAliveRequestsDoNotAccumulateCloseCallbacks() async throws {
        try await withServer(ServerFixtures.phi3V) { server, client in
            for i in 0..<50 {
                let r = try await client.postJSON("/v1/embeddings", ServerFixtures.inputBody(["request \(i)"]))
                #expect(r.status == .ok)
            }
            #expect(server.connections.connections <= 2)   // the health-poll connection and this one at most
            #expect(server.connections.pendingJobs == 0)
        }
    }
}
