import Hummingbird
import NIOCore
import Runtime
import TensorFormats

/// `GET /health`, `GET /v1/models`, `GET /metrics`.
struct InfoRoutes: Sendable {
    let configuration: ServerConfiguration
    let state: ServerState
    let metrics: ServerMetrics

    /// 200 `{"status":"ok"}` when ready; 503 `{"status":"loading"}` (or `draining`, `failed`) otherwise.
    func health(_ request: Request, _ context: ServerRequestContext) -> Response {
        let (status, text): (HTTPResponse.Status, String)
        switch state.current {
        case .ready: (status, text) = (.ok, "ok")
        case .loading: (status, text) = (.serviceUnavailable, "loading")
        case .draining: (status, text) = (.serviceUnavailable, "draining")
        case .failed: (status, text) = (.serviceUnavailable, "failed")
        }
        return jsonResponse(Array(JSONValue.object([("status", .string(text))]).serialized().utf8), status: status)
    }

    /// The model list OpenAI clients read, with what this model is and the server's limits.
    func models(_ request: Request, _ context: ServerRequestContext) throws -> Response {
        try Auth.check(request, key: configuration.apiKey)
        guard case .ready(let engine, _) = state.current else {
            throw APIErrorResponse(.serviceUnavailable, "the model is not ready", code: "loading")
        }
        let i = engine.info
        let model = JSONValue.object([
            ("id", .string(i.id)), ("object", .string("model")), ("created", .int(0)), ("owned_by", .string("vlmembed")),
            ("embedding_width", .int(i.width)), ("backbone", .string(i.backbone)), ("max_tokens", .int(i.maxPositions)),
            ("takes_images", .bool(i.takesImages)), ("image_marker", .string(i.imageMarker)),
            ("quantization", .object([("decoder", .string(i.decoderScheme)), ("vision", .string(i.visionScheme))])),
            ("kernel_path", .string(i.kernelPath)),
            ("limits", .object([
                ("max_batch_tokens", .int(configuration.maxBatchTokens)), ("max_queue", .int(configuration.maxQueue)),
                ("max_body_bytes", .int(configuration.maxBodyBytes)), ("max_image_pixels", .int(engine.options.maxImagePixels)),
                ("max_inputs", .int(EmbeddingsAPIRequest.maxInputs)), ("image_urls", .bool(configuration.allowImageURLs)),
            ])),
        ])
        return jsonResponse(Array(JSONValue.object([("object", .string("list")), ("data", .array([model]))]).serialized().utf8))
    }

    /// Prometheus text.
    func metricsText(_ request: Request, _ context: ServerRequestContext) -> Response {
        Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
    }
}
