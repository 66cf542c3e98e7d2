import Foundation
import Testing
import TensorFormats

/// `vlmembed serve` as a process, against `vlmembed embed` as a process (same `--threads`): answers
/// in both request forms and both encodings equal `embed` bit for bit on both backbones and on a
/// bundle, also under 16 concurrent clients; bad flags are one-line errors; SIGTERM finishes the
/// request in flight and exits 0.
@Suite(.serialized) struct ServeCommandTests {
    static let phi = CLIRunner.fixtures + "/models/phi3_v"
    static let llava = CLIRunner.fixtures + "/models/llava_next"
    static let images = CLIRunner.fixtures + "/reference/images"
    static let texts = ["Find me an everyday image that matches the given caption: a cup of espresso on a saucer",
                        "a", "Represent the given image.", String(repeating: "long prompt ", count: 40)]

    /// Every text and one image request through the server, compared with `embed`.
    func checkForms(model: String, marker: String) async throws {
        let dir = try CLIRunner.temporaryDirectory()
        var lines = Self.texts.enumerated().map { #"{"id": "t\#($0)", "text": \#(JSONValue.string($1).serialized())}"# }
        lines.append(#"{"id": "img", "text": "\#(marker) Represent the given image.", "images": ["\#(Self.images)/example.jpg"]}"#)
        let expected = try ServeProcess.embed(lines, model: model, dir: dir, threads: 2)
        let server = try ServeProcess(["--model", model, "--threads", "2"])
        defer { _ = server.stop() }
        try await server.waitUntilReady()
        for encoding in ["float", "base64"] {
            let (s, data) = try await server.request("/v1/embeddings", body: ServeProcess.inputBody(Self.texts, encoding: encoding))
            #expect(s == 200)
            #expect(try ServeProcess.vectors(data) == Self.texts.indices.map { expected["t\($0)"] ?? [] }, "\(model) \(encoding)")
            let (m, image) = try await server.request("/v1/embeddings",
                body: ServeProcess.messagesBody(image: Self.images + "/example.jpg", text: "Represent the given image.", encoding: encoding))
            #expect(m == 200)
            #expect(try ServeProcess.vectors(image) == [expected["img"] ?? []], "\(model) messages \(encoding)")
        }
    }

    @Test func phi3VFormsEqualEmbed() async throws {
        try await checkForms(model: Self.phi, marker: "<|image_1|>")
    }

    @Test func llavaNextFormsEqualEmbed() async throws {
        try await checkForms(model: Self.llava, marker: "<image>")
    }

    @Test func int8BundleFormsEqualEmbed() async throws {
        let dir = try CLIRunner.temporaryDirectory()
        let c = try CLIRunner.run(["convert", Self.phi, "--quant", "int8", "-o", dir + "/m.vlmb"])
        #expect(c.status == 0, "\(c.stderr)")
        try await checkForms(model: dir + "/m.vlmb", marker: "<|image_1|>")
    }

    /// 16 clients × 20 requests, texts of varied lengths and every fifth an image: each answer equals
    /// `embed` of that input, whatever else was packed with it.
    @Test func sixteenConcurrentClientsGetTheirOwnAnswers() async throws {
        let dir = try CLIRunner.temporaryDirectory()
        @Sendable func text(_ c: Int, _ k: Int) -> String {
            "client \(c) query \(k)" + String(repeating: " more", count: (c * 7 + k * 3) % 23)
        }
        @Sendable func image(_ c: Int, _ k: Int) -> String { Self.images + ((c + k) % 2 == 0 ? "/coffee.png" : "/example.jpg") }
        var lines: [String] = []
        for c in 0..<16 {
            for k in 0..<20 {
                lines.append(k % 5 == 4
                    ? #"{"id": "\#(c)/\#(k)", "text": "<|image_1|> client \#(c) asks \#(k)", "images": ["\#(image(c, k))"]}"#
                    : #"{"id": "\#(c)/\#(k)", "text": \#(JSONValue.string(text(c, k)).serialized())}"#)
            }
        }
        let expected = try ServeProcess.embed(lines, model: Self.phi, dir: dir, threads: 2)
        let server = try ServeProcess(["--model", Self.phi, "--threads", "2", "--max-queue", "256"])
        defer { _ = server.stop() }
        try await server.waitUntilReady()
        let mismatches = try await withThrowingTaskGroup(of: [String].self) { group in
            for c in 0..<16 {
                group.addTask {
                    var bad: [String] = []
                    for k in 0..<20 {
                        let body = k % 5 == 4 ? ServeProcess.messagesBody(image: image(c, k), text: "client \(c) asks \(k)")
                                              : ServeProcess.inputBody([text(c, k)])
                        let (s, data) = try await server.request("/v1/embeddings", body: body)
                        if s != 200 || (try? ServeProcess.vectors(data)) != [expected["\(c)/\(k)"] ?? []] { bad.append("\(c)/\(k): \(s)") }
                    }
                    return bad
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
        // The load was packed: some forward held more than one input.
        let (_, metrics) = try await server.request("/metrics")
        let text = String(decoding: metrics, as: UTF8.self)
        let count = text.split(separator: "\n").first { $0.hasPrefix("vlmembed_batch_inputs_count") }?.split(separator: " ").last
        let single = text.split(separator: "\n").first { $0.hasPrefix(#"vlmembed_batch_inputs_bucket{le="1.0"}"#) }?.split(separator: " ").last
        #expect(count != nil && single != nil && count != single, "\(text.prefix(2000))")
    }

    @Test func sigtermFinishesTheRequestInFlight() async throws {
        let server = try ServeProcess(["--model", Self.phi, "--threads", "2"])
        try await server.waitUntilReady()
        // A long request in flight when SIGTERM arrives still gets its answer; then exit 0.
        let long = #"{"input":"\#(String(repeating: "word ", count: 6000))"}"#
        let inFlight = Task { try await server.request("/v1/embeddings", body: long).0 }
        try await Task.sleep(for: .milliseconds(300))
        kill(server.process.processIdentifier, SIGTERM)
        #expect(try await inFlight.value == 200)
        #expect(server.stop() == 0, "\(server.currentLog)")
        #expect(server.currentLog.contains("POST /v1/embeddings 200"))
    }

    @Test(arguments: [
        (["--port", "70000"], "--port must be between 0 and 65535"),
        (["--max-queue", "0"], "--max-queue must be between 1 and 100000"),
        (["--crops", "0"], "--crops must be between 1 and 64"),
        (["--api-key-file", "/nonexistent/key"], "/nonexistent/key"),
    ])
    func badFlagsAreOneLineErrors(extra: [String], message: String) throws {
        let r = try CLIRunner.run(["serve", "--model", Self.phi] + extra)
        #expect(r.status == 2)
        #expect(r.errorLines.count == 1 && r.stderr.contains(message), "\(r.stderr)")
    }

    @Test func aMissingModelFailsWithExit2() throws {
        let r = try CLIRunner.run(["serve", "--model", "/nonexistent/model", "--port", "0"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("/nonexistent/model"), "\(r.stderr)")
    }
}
