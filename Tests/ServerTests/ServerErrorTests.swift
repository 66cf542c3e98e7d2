import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Runtime
import Testing
@testable import Server

/// Every refusal has its status and an OpenAI-shaped one-line message, and the server still answers
/// a good request after each.
@Suite(.serialized) struct ServerErrorTests {
    static let good = ServerFixtures.inputBody(["still alive"])

    /// (body, status, substring of the message)
    static let cases: [(String, Int, String)] = [
        (#"{"input": "#, 400, "not valid JSON"),
        (#"["a"]"#, 400, "must be a JSON object"),
        (#"{"input": 3}"#, 400, "'input' must be"),
        (#"{"input": ""}"#, 400, "must not be empty"),
        (#"{"input": []}"#, 400, "must not be an empty array"),
        (#"{"input": "a", "encoding_format": "int8"}"#, 400, "encoding_format"),
        (#"{"input": "a", "dimensions": 7}"#, 400, "must equal the model's embedding width 64"),
        (#"{"messages":[{"role":"user","content":[{"type":"video","video":"x"}]}]}"#, 400, "unknown content part type"),
        (#"{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,%%%%"}}]}]}"#, 400, "not valid base64"),
        (#"{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,aGVsbG8gd29ybGQ="}}]}]}"#, 400, "not a PNG or JPEG"),
        (#"{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"http://127.0.0.1:9/x.png"}}]}]}"#, 400, "does not fetch image URLs"),
        (#"{"input": "<|image_1|> two markers <|image_2|>"}"#, 200, ""),
        (#"{"input": [[1, 2, 99999999]]}"#, 400, "outside the vocabulary"),
        (#"{"input": [[-5]]}"#, 400, "outside the vocabulary"),
        (#"{"input": "\#(String(repeating: "word ", count: 9000))"}"#, 400, "more than the model's context of 8192"),
    ]

    @Test func everyRefusalThenAGoodRequest() async throws {
        try await withServer(ServerFixtures.phi3V) { _, client in
            for (body, status, message) in Self.cases {
                let r = try await client.postJSON("/v1/embeddings", body)
                #expect(Int(r.status.code) == status, "\(body.prefix(120)): \(String(buffer: r.body).prefix(300))")
                if status != 200 {
                    let e = try ErrorAnswer(r)
                    #expect(e.message.contains(message), "\(body.prefix(120)): \(e.message)")
                    #expect(e.type == "invalid_request_error" && !e.message.contains("\n"))
                }
                let ok = try await client.postJSON("/v1/embeddings", Self.good)
                #expect(ok.status == .ok)
            }
        }
    }

    @Test func imageMarkersMustMatchImages() async throws {
        let url = ServerFixtures.dataURL(ServerFixtures.coffee)
        try await withServer(ServerFixtures.phi3V) { _, client in
            // Two images, but the text part also names a third marker.
            let body = #"{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"\#(url)"}},{"type":"text","text":"<|image_3|> x"}]}]}"#
            let r = try await client.postJSON("/v1/embeddings", body)
            #expect(r.status == .badRequest, "\(String(buffer: r.body).prefix(300))")
            #expect(try await client.postJSON("/v1/embeddings", Self.good).status == .ok)
        }
    }

    @Test func oversizedBodyAndImage() async throws {
        // A PNG header declaring 10000 x 10000 pixels (100 MP): refused from the header.
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]
        png += [0, 0, 0x27, 0x10, 0, 0, 0x27, 0x10, 8, 2, 0, 0, 0, 0, 0, 0, 0]
        let huge = "data:image/png;base64," + Data(png).base64EncodedString()
        try await withServer(ServerFixtures.phi3V, configure: { $0.maxBodyBytes = 4096 }) { _, client in
            let big = try await client.postJSON("/v1/embeddings", ServerFixtures.inputBody([String(repeating: "x", count: 8000)]))
            #expect(big.status == .contentTooLarge)
            #expect(try ErrorAnswer(big).message.contains("4096-byte limit"))
            let r = try await client.postJSON("/v1/embeddings", #"{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"\#(huge)"}},{"type":"text","text":"x"}]}]}"#)
            #expect(r.status == .contentTooLarge, "\(String(buffer: r.body).prefix(300))")
            #expect(try ErrorAnswer(r).message.contains("10000x10000"))
            #expect(try await client.postJSON("/v1/embeddings", Self.good).status == .ok)
        }
    }

    @Test func apiKey() async throws {
        try await withServer(ServerFixtures.phi3V, configure: { $0.apiKey = "s3cret" }) { _, client in
            let none = try await client.postJSON("/v1/embeddings", Self.good)
            #expect(none.status == .unauthorized)
            #expect(try ErrorAnswer(none).code == "invalid_api_key")
            let wrong = try await client.postJSON("/v1/embeddings", Self.good, headers: [.authorization: "Bearer s3creT"])
            #expect(wrong.status == .unauthorized)
            let longer = try await client.postJSON("/v1/embeddings", Self.good, headers: [.authorization: "Bearer s3cret2"])
            #expect(longer.status == .unauthorized)
            #expect(try await client.execute(uri: "/v1/models", method: .get).status == .unauthorized)
            let right = try await client.postJSON("/v1/embeddings", Self.good, headers: [.authorization: "Bearer s3cret"])
            #expect(right.status == .ok)
            #expect(try await client.execute(uri: "/health", method: .get).status == .ok)
        }
        #expect(APIKey.matches(authorization: "Bearer k", key: "k"))
        #expect(!APIKey.matches(authorization: "bearer k", key: "k"))
        #expect(!APIKey.matches(authorization: "Bearer ", key: "k"))
    }

    @Test func healthIsLoadingUntilTheModelIsReady() async throws {
        var c = ServerConfiguration(model: ModelSpec(path: ServerFixtures.phi3V))
        c.port = 0
        let server = EmbeddingServer(configuration: c)
        // No loader service: the model never loads.
        try await server.application(services: false).test(.live) { client in
            let h = try await client.execute(uri: "/health", method: .get)
            #expect(h.status == .serviceUnavailable && String(buffer: h.body) == #"{"status":"loading"}"#)
            let e = try await client.postJSON("/v1/embeddings", Self.good)
            #expect(e.status == .serviceUnavailable)
            let engine = try EmbeddingEngine.open(ModelSpec(path: ServerFixtures.phi3V))
            let scheduler = EmbeddingScheduler(engine: engine, maxQueue: 4, maxBatchTokens: 64)
            scheduler.start()
            server.state.set(.ready(engine, scheduler))
            #expect(try await client.execute(uri: "/health", method: .get).status == .ok)
            #expect(try await client.postJSON("/v1/embeddings", Self.good).status == .ok)
            server.state.beginDraining()
            let d = try await client.postJSON("/v1/embeddings", Self.good)
            let code = try ErrorAnswer(d).code
            #expect(d.status == .serviceUnavailable && code == "shutting_down")
            scheduler.shutdown()
        }
    }

    @Test func fullQueueAnswers429WithRetryAfter() async throws {
        var c = ServerConfiguration(model: ModelSpec(path: ServerFixtures.phi3V))
        c.port = 0
        c.maxQueue = 1
        let server = EmbeddingServer(configuration: c)
        let engine = try EmbeddingEngine.open(c.model)
        // The forward thread is not started yet: the first request waits in the queue.
        let scheduler = EmbeddingScheduler(engine: engine, maxQueue: 1, maxBatchTokens: 64)
        server.state.set(.ready(engine, scheduler))
        try await server.application(services: false).test(.live) { client in
            let port = try #require(client.port)
            let waiting = Task {
                let http = TestClient(host: "127.0.0.1", port: port, configuration: .init(timeout: .seconds(60)))
                http.connect()
                defer { Task { try? await http.shutdown() } }
                return try await http.postJSON("/v1/embeddings", Self.good).head.status
            }
            while scheduler.queueDepth == 0 { try await Task.sleep(for: .milliseconds(10)) }
            let r = try await client.postJSON("/v1/embeddings", Self.good)
            #expect(r.status == .tooManyRequests)
            #expect(r.headers[.retryAfter] == "1")
            #expect(try ErrorAnswer(r).type == "rate_limit_error")
            scheduler.start()
            #expect(try await waiting.value == .ok)
            #expect(try await client.postJSON("/v1/embeddings", Self.good).status == .ok)
            scheduler.shutdown()
        }
    }
}
