import Foundation
import Hummingbird
import Logging
import NIOCore
import Runtime
import ServiceLifecycle

/// `vlmembed serve`: the HTTP API over one model. It listens at once and answers `/health` with
/// 503 `loading` until the model is open; SIGTERM/SIGINT stop accepting, finish what is in flight,
/// and return.
///
/// ```swift
/// let server = EmbeddingServer(configuration: try ServerConfiguration(model: ModelSpec(path: "m.vlmb")).validated())
/// try await server.run()
/// ```
public struct EmbeddingServer: Sendable {
    public let configuration: ServerConfiguration
    public let state = ServerState()
    public let metrics = ServerMetrics()
    /// Which connection each queued job belongs to (to drop the jobs of a client that goes away).
    let connections = ConnectionWatch()
    let logger: Logger

    public init(configuration: ServerConfiguration, logger: Logger = Logger(label: "vlmembed.serve")) {
        self.configuration = configuration
        self.logger = logger
    }

    /// The router with every route.
    func router() -> Router<ServerRequestContext> {
        let router = Router(context: ServerRequestContext.self)
        let fetcher = configuration.allowImageURLs
            ? ImageURLFetcher(timeoutSeconds: configuration.imageFetchTimeoutSeconds, maxBytes: configuration.imageFetchMaxBytes) : nil
        let embeddings = EmbeddingsRoute(configuration: configuration, state: state, metrics: metrics,
                                         fetchImage: fetcher.map { f in { @Sendable url in try f.fetch(url) } },
                                         connections: connections)
        let info = InfoRoutes(configuration: configuration, state: state, metrics: metrics)
        router.post("v1/embeddings", use: embeddings.handle)
        router.get("health", use: info.health)
        router.get("v1/models", use: { try wrapped(info.models($0, $1)) })
        router.get("metrics", use: info.metricsText)
        return router
    }

    /// The Hummingbird application; with `services`, the model loader and the drain flag run inside
    /// it (as tests run it). `onListening` receives the bound port (useful with port 0).
    public func application(services: Bool = true, onListening: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        var app = Application(
            router: router(),
            server: .http1(configuration: .init(additionalChannelHandlers: [ExpectContinueHandler()])),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "vlmembed"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: logger)
        if services { app.addServices(loader, DrainFlagService(state: state)) }
        return app
    }

    var loader: ModelLoaderService {
        ModelLoaderService(configuration: configuration, state: state, metrics: metrics, logger: logger)
    }

    /// Runs until SIGTERM or SIGINT. Services shut down in reverse order: the drain flag first (new
    /// requests get 503 `shutting_down`), then the HTTP server (in-flight requests finish), then
    /// the model's forward thread.
    public func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let group = ServiceGroup(configuration: .init(
            services: [loader, application(services: false, onListening: onListening), DrainFlagService(state: state)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

/// Maps a thrown `APIErrorResponse` to its response.
func wrapped(_ body: @autoclosure () throws -> Response) -> Response {
    do { return try body() } catch let e as APIErrorResponse { return e.response } catch {
        return APIErrorResponse(.internalServerError, "internal error: \(error)").response
    }
}

/// Opens the model off the event loops, starts its forward thread, and stops it at shutdown.
struct ModelLoaderService: Service {
    let configuration: ServerConfiguration
    let state: ServerState
    let metrics: ServerMetrics
    let logger: Logger

    func run() async throws {
        let started = ContinuousClock.now
        let engine: EmbeddingEngine
        do {
            engine = try await withCheckedThrowingContinuation { continuation in
                Thread.detachNewThread {
                    continuation.resume(with: Result { try EmbeddingEngine.open(configuration.model, options: configuration.engineOptions) })
                }
            }
        } catch {
            state.set(.failed("\(error)"))
            throw error
        }
        let scheduler = EmbeddingScheduler(engine: engine, maxQueue: configuration.maxQueue,
                                           maxBatchTokens: configuration.maxBatchTokens, metrics: metrics)
        scheduler.start()
        state.set(.ready(engine, scheduler))
        let i = engine.info
        logger.info("model ready: \(i.id) (\(i.backbone), width \(i.width), decoder \(i.decoderScheme), kernel path \(i.kernelPath)) in \(ContinuousClock.now - started)")
        try? await gracefulShutdown()
        scheduler.shutdown()
    }
}

/// Flips the server to draining when shutdown begins.
struct DrainFlagService: Service {
    let state: ServerState

    func run() async throws {
        try? await gracefulShutdown()
        state.beginDraining()
    }
}
