import Foundation
import HummingbirdTesting
import Runtime
import Testing
@testable import Server

/// Many clients at once, texts and images mixed: each gets its own answer, bit-identical to its
/// input embedded alone, whatever else was packed with it.
@Suite(.serialized) struct ServerConcurrencyTests {
    @Test func sixteenClientsTwentyRequestsEach() async throws {
        let engine = try EmbeddingEngine.open(ModelSpec(path: ServerFixtures.phi3V))
        // Request k of client c: mostly short texts of varied lengths, every fifth an image.
        @Sendable func request(_ c: Int, _ k: Int) -> (body: String, input: EmbeddingInput) {
            if k % 5 == 4 {
                let image = (c + k) % 2 == 0 ? ServerFixtures.coffee : ServerFixtures.example
                return (ServerFixtures.messagesBody(image: image, text: "client \(c) asks \(k)"),
                        .prompt(id: "x", "<|image_1|> client \(c) asks \(k)", images: [.file(image)]))
            }
            let text = "client \(c) query \(k)" + String(repeating: " more", count: (c * 7 + k * 3) % 23)
            return (ServerFixtures.inputBody([text]), .prompt(id: "x", text))
        }
        var expected: [String: [Float]] = [:]
        for c in 0..<16 { for k in 0..<20 { expected["\(c)/\(k)"] = try engine.embed(request(c, k).input).vector } }
        let want = expected
        try await withServer(ServerFixtures.phi3V, configure: { $0.maxQueue = 256 }) { server, client in
            let port = try #require(client.port)
            let mismatches = try await withThrowingTaskGroup(of: Int.self) { group in
                for c in 0..<16 {
                    group.addTask {
                        let http = TestClient(host: "127.0.0.1", port: port, configuration: .init(timeout: .seconds(120)))
                        http.connect()
                        var bad = 0
                        for k in 0..<20 {
                            let r = try await http.postJSON("/v1/embeddings", request(c, k).body)
                            let v = (try? EmbeddingsAnswer(body: r.body ?? .init()).vectors) ?? []
                            if r.head.status != .ok || v != [want["\(c)/\(k)"] ?? []] { bad += 1 }
                        }
                        try await http.shutdown()
                        return bad
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(mismatches == 0)
            // The load was really packed: some forward held more than one input.
            let metrics = String(decoding: server.metrics.exposition(), as: UTF8.self)
            let single = metrics.split(separator: "\n").first { $0.hasPrefix("vlmembed_batch_inputs_bucket{le=\"1.0\"}") }
            let total = metrics.split(separator: "\n").first { $0.hasPrefix("vlmembed_batch_inputs_count") }
            #expect(single != nil && total != nil && single?.split(separator: " ").last != total?.split(separator: " ").last, "\(single ?? "-") \(total ?? "-")")
        }
    }
}
