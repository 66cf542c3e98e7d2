import Runtime
import Synchronization

/// Where the server is in its life: loading the model, serving, or draining for shutdown.
public final class ServerState: Sendable {
    public enum Phase: Sendable {
        case loading
        case ready(EmbeddingEngine, EmbeddingScheduler)
        case draining
        case failed(String)
    }

    private let phase = Mutex(Phase.loading)

    public init() {}

    public var current: Phase { phase.withLock { $0 } }

    func set(_ p: Phase) { phase.withLock { $0 = p } }

    /// Marks the server as stopping: new requests get 503 (queued and running ones finish).
    public func beginDraining() {
        phase.withLock { p in
            if case .ready = p { p = .draining }
        }
    }
}
