import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Runtime
import TensorFormats
@testable import Server

/// Fixture paths and helpers shared by the server tests.
enum ServerFixtures {
    static let repoRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()

    static let phi3V = repoRoot + "/Fixtures/models/phi3_v"
    static let llavaNext = repoRoot + "/Fixtures/models/llava_next"
    static let coffee = repoRoot + "/Fixtures/reference/images/coffee.png"
    static let example = repoRoot + "/Fixtures/reference/images/example.jpg"

    static func bytes(_ path: String) -> [UInt8] {
        (try? [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))) ?? []
    }

    static func dataURL(_ path: String) -> String {
        let mime = path.hasSuffix(".png") ? "image/png" : "image/jpeg"
        return "data:\(mime);base64," + Data(bytes(path)).base64EncodedString()
    }

    /// vLLM's VLM2Vec request: one user message, the image then the text.
    static func messagesBody(image: String, text: String, encoding: String = "float") -> String {
        #"{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"\#(dataURL(image))"}},{"type":"text","text":"\#(text)"}]}],"encoding_format":"\#(encoding)"}"#
    }

    static func inputBody(_ texts: [String], encoding: String = "float") -> String {
        let items = texts.map { JSONValue.string($0).serialized() }.joined(separator: ",")
        return #"{"model":"m","input":[\#(items)],"encoding_format":"\#(encoding)"}"#
    }
}

/// A parsed `/v1/embeddings` answer.
struct EmbeddingsAnswer {
    var vectors: [[Float]]
    var promptTokens: Int

    init(_ response: TestResponse) throws {
        try self.init(body: response.body)
    }

    init(body: ByteBuffer) throws {
        let json = try JSONParser.parse(String(buffer: body))
        guard let data = json["data"]?.arrayValue else { throw RuntimeError("no data in \(String(buffer: body).prefix(300))") }
        vectors = try data.map { item in
            switch item["embedding"] {
            case .string(let b64)?:
                guard let v = EmbeddingsAPIResponse.floats(base64: b64) else { throw RuntimeError("bad base64") }
                return v
            case .array(let values)?:
                return values.compactMap { $0.doubleValue.map(Float.init) }
            default:
                throw RuntimeError("no embedding")
            }
        }
        promptTokens = json["usage"]?["prompt_tokens"]?.intValue ?? -1
    }
}

/// An error answer's fields.
struct ErrorAnswer {
    var message: String
    var type: String
    var param: String?
    var code: String?

    init(_ response: TestResponse) throws {
        let json = try JSONParser.parse(String(buffer: response.body))
        guard let e = json["error"] else { throw RuntimeError("not an error body: \(String(buffer: response.body).prefix(300))") }
        message = e["message"]?.stringValue ?? ""
        type = e["type"]?.stringValue ?? ""
        param = e["param"]?.stringValue
        code = e["code"]?.stringValue
    }
}

extension TestClientProtocol {
    func postJSON(_ uri: String, _ body: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        var h = headers
        h[.contentType] = "application/json"
        return try await execute(uri: uri, method: .post, headers: h, body: ByteBuffer(string: body))
    }
}

extension TestClient {
    func postJSON(_ uri: String, _ body: String, headers: HTTPFields = [:]) async throws -> TestClient.Response {
        var h = headers
        h[.contentType] = "application/json"
        return try await post(uri, headers: h, body: ByteBuffer(string: body))
    }
}

/// Starts a server on an ephemeral loopback port (model loaded by its own loader service) and
/// waits until `/health` answers 200.
func withServer<T: Sendable>(_ model: String, configure: (inout ServerConfiguration) -> Void = { _ in },
                             _ body: @Sendable (EmbeddingServer, any TestClientProtocol) async throws -> T) async throws -> T {
    var c = ServerConfiguration(model: ModelSpec(path: model))
    c.port = 0
    configure(&c)
    let server = EmbeddingServer(configuration: try c.validated())
    return try await server.application().test(.live) { client in
        for _ in 0..<600 {
            if try await client.execute(uri: "/health", method: .get).status == .ok { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await body(server, client)
    }
}
