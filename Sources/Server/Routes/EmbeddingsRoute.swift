import Hummingbird
import Logging
import NIOCore
import Runtime

/// `POST /v1/embeddings`: OpenAI's form and vLLM's chat form, answered in OpenAI's shape.
struct EmbeddingsRoute: Sendable {
    let configuration: ServerConfiguration
    let state: ServerState
    let metrics: ServerMetrics
    let fetchImage: (@Sendable (String) throws -> [UInt8])?
    let connections: ConnectionWatch

    func handle(_ request: Request, _ context: ServerRequestContext) async throws -> Response {
        let started = ContinuousClock.now
        var inputs = 0, tokens = 0
        let response: Response
        do {
            (response, inputs, tokens) = try await answer(request, context)
        } catch let e as APIErrorResponse {
            response = e.response
        } catch {
            response = APIErrorResponse(.internalServerError, "internal error: \(error)").response
        }
        let elapsed = ContinuousClock.now - started
        metrics.countRequest(status: Int(response.status.code))
        metrics.requestDuration.record(elapsed)
        let ms = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
        context.logger.info("POST /v1/embeddings \(response.status.code) inputs=\(inputs) tokens=\(tokens) \(String(format: "%.1f", ms)) ms")
        return response
    }

    private func answer(_ request: Request, _ context: ServerRequestContext) async throws -> (Response, Int, Int) {
        try Auth.check(request, key: configuration.apiKey)
        let (engine, scheduler) = try readyModel()
        if let length = request.headers[.contentLength].flatMap(Int.init), length > configuration.maxBodyBytes {
            throw APIErrorResponse(.contentTooLarge, "the body is \(length) bytes, over the \(configuration.maxBodyBytes)-byte limit", code: "body_too_large")
        }
        let body: ByteBuffer
        do { body = try await request.body.collect(upTo: configuration.maxBodyBytes) } catch {
            throw APIErrorResponse(.contentTooLarge, "the body is over the \(configuration.maxBodyBytes)-byte limit", code: "body_too_large")
        }
        let conventions = EmbeddingsAPIRequest.Conventions(imageMarker: engine.info.imageMarker, fetchImage: fetchImage)
        let decoded: EmbeddingsAPIRequest
        do { decoded = try EmbeddingsAPIRequest.decode(Array(buffer: body), conventions: conventions) } catch {
            throw APIErrorResponse(.badRequest, error.message, param: error.param, code: error.code)
        }
        if let d = decoded.dimensions, d != engine.info.width {
            throw APIErrorResponse(.badRequest, "'dimensions' must equal the model's embedding width \(engine.info.width) (got \(d))",
                                   param: "dimensions", code: "unsupported_dimensions")
        }
        var prepared: [PreparedRequest] = []
        for input in decoded.inputs {
            do { prepared.append(try engine.prepare(input)) } catch let e as InputError {
                throw APIErrorResponse(e.kind == .tooLarge ? .contentTooLarge : .badRequest, e.message, param: "input",
                                       code: e.kind == .tooLong ? "context_length_exceeded" : (e.kind == .tooLarge ? "image_too_large" : "invalid_input"))
            }
        }
        let results: EmbeddingScheduler.Results
        var jobID: UInt64?
        defer { if let jobID { connections.finished(jobID, on: context.channel) } }
        do {
            results = try await scheduler.submit(prepared) { id in
                // A client that disconnects has its queued work dropped.
                jobID = id
                connections.track(id, on: context.channel, scheduler: scheduler)
            }
        } catch let refusal as EmbeddingScheduler.Refusal {
            switch refusal {
            case .queueFull:
                var e = APIErrorResponse(.tooManyRequests, "the queue is full (\(configuration.maxQueue) requests waiting); retry shortly", code: "queue_full")
                e.headers[.retryAfter] = "1"
                throw e
            case .shuttingDown: throw APIErrorResponse(.serviceUnavailable, "the server is shutting down", code: "shutting_down")
            case .cancelled: throw APIErrorResponse(.badRequest, "the client went away", code: "cancelled")
            }
        }
        var embeddings: [Embedding] = []
        for (i, r) in results.enumerated() {
            switch r {
            case .success(let e): embeddings.append(Embedding(id: String(i), vector: e.vector, promptTokens: e.promptTokens))
            case .failure(let e as InputError): throw APIErrorResponse(.badRequest, e.message, param: "input", code: "invalid_input")
            case .failure(let e): throw APIErrorResponse(.internalServerError, "\(e)")
            }
        }
        let tokens = embeddings.reduce(0) { $0 + $1.promptTokens }
        metrics.tokens.increment(by: Int64(tokens))
        metrics.images.increment(by: Int64(decoded.inputs.reduce(0) { $0 + $1.imageCount }))
        let answer = EmbeddingsAPIResponse.body(embeddings, model: decoded.model ?? engine.info.id, encoding: decoded.encoding)
        return (jsonResponse(answer), embeddings.count, tokens)
    }

    private func readyModel() throws -> (EmbeddingEngine, EmbeddingScheduler) {
        switch state.current {
        case .ready(let engine, let scheduler): return (engine, scheduler)
        case .loading: throw APIErrorResponse(.serviceUnavailable, "the model is loading", code: "loading")
        case .draining: throw APIErrorResponse(.serviceUnavailable, "the server is shutting down", code: "shutting_down")
        case .failed(let why): throw APIErrorResponse(.serviceUnavailable, "the model failed to load: \(why)", code: "load_failed")
        }
    }
}

/// Bearer-key authentication of the `/v1` routes.
enum Auth {
    static func check(_ request: Request, key: String?) throws {
        guard let key else { return }
        guard APIKey.matches(authorization: request.headers[.authorization], key: key) else {
            throw APIErrorResponse(.unauthorized, request.headers[.authorization] == nil
                                   ? "missing API key (send 'Authorization: Bearer <key>')" : "incorrect API key", code: "invalid_api_key")
        }
    }
}
