import Foundation
import Runtime
import Synchronization

/// One model, one forward at a time: requests wait in a bounded queue and a dedicated thread runs
/// them. Text-only inputs waiting together are packed into one forward up to `maxBatchTokens`;
/// each embedding is bit-identical to embedding its input alone (`EmbeddingEngine.embed`).
public final class EmbeddingScheduler: Sendable {
    /// Why a request was not run.
    public enum Refusal: Error, Sendable, Equatable {
        /// The queue holds `maxQueue` requests already.
        case queueFull
        /// The server is stopping.
        case shuttingDown
        /// The client went away before its turn.
        case cancelled
    }

    public typealias Results = [Result<Embedding, any Error>]

    struct Job {
        let id: UInt64
        let requests: [PreparedRequest]
        let tokens: Int
        let packable: Bool
        let enqueued: ContinuousClock.Instant
        let continuation: CheckedContinuation<Results, any Error>
    }

    struct State {
        var queue: [Job] = []
        var nextID: UInt64 = 0
        var stopping = false
        var running = false
    }

    let engine: EmbeddingEngine
    let maxQueue: Int
    let maxBatchTokens: Int
    let metrics: ServerMetrics?
    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)
    private let stopped = DispatchSemaphore(value: 0)

    public init(engine: EmbeddingEngine, maxQueue: Int, maxBatchTokens: Int, metrics: ServerMetrics? = nil) {
        self.engine = engine
        self.maxQueue = maxQueue
        self.maxBatchTokens = maxBatchTokens
        self.metrics = metrics
    }

    /// Starts the forward thread.
    public func start() {
        let already = state.withLock { s in defer { s.running = true }; return s.running }
        guard !already else { return }
        let thread = Thread { [self] in loop() }
        thread.name = "vlmembed-forward"
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Stops accepting work, lets the queued work finish, then stops the thread.
    public func shutdown() {
        let wasRunning = state.withLock { s -> Bool in s.stopping = true; return s.running }
        wake.signal()
        if wasRunning { stopped.wait() }
    }

    /// Requests queued or running now.
    public var queueDepth: Int { state.withLock { $0.queue.count } }

    /// Embeds `requests` (one HTTP request's inputs) when their turn comes. `onID` receives the job's
    /// id before it is queued, so that a disconnecting client can `cancel(_:)` it.
    public func submit(_ requests: [PreparedRequest], onID: (UInt64) -> Void = { _ in }) async throws -> Results {
        let tokens = requests.reduce(0) { $0 + $1.promptTokens }
        let packable = requests.allSatisfy(\.isPackable)
        let id = state.withLock { s -> UInt64 in s.nextID += 1; return s.nextID }
        onID(id)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Results, any Error>) in
                let refusal = state.withLock { s -> Refusal? in
                    if s.stopping { return .shuttingDown }
                    if s.queue.count >= maxQueue { return .queueFull }
                    s.queue.append(Job(id: id, requests: requests, tokens: tokens, packable: packable,
                                       enqueued: .now, continuation: continuation))
                    return nil
                }
                if let refusal { continuation.resume(throwing: refusal) } else {
                    metrics?.queueDepth.set(Double(queueDepth))
                    wake.signal()
                }
            }
        } onCancel: {
            cancel(id)
        }
    }

    /// Drops a queued job (its client went away); a running one finishes.
    public func cancel(_ id: UInt64) {
        let job = state.withLock { s -> Job? in
            guard let i = s.queue.firstIndex(where: { $0.id == id }) else { return nil }
            return s.queue.remove(at: i)
        }
        guard let job else { return }
        metrics?.queueDepth.set(Double(queueDepth))
        job.continuation.resume(throwing: Refusal.cancelled)
    }

    /// The next batch: the oldest job, and when it is packable every other packable job that fits
    /// within `maxBatchTokens` (oldest first).
    func takeBatch() -> [Job]? {
        state.withLock { s -> [Job]? in
            guard !s.queue.isEmpty else { return nil }
            let head = s.queue.removeFirst()
            var batch = [head]
            guard head.packable else { return batch }
            var tokens = head.tokens
            var i = 0
            while i < s.queue.count {
                let job = s.queue[i]
                if job.packable, tokens + job.tokens <= maxBatchTokens {
                    batch.append(s.queue.remove(at: i))
                    tokens += job.tokens
                } else {
                    i += 1
                }
            }
            return batch
        }
    }

    private func loop() {
        while true {
            if let batch = takeBatch() {
                run(batch)
                continue
            }
            if state.withLock({ $0.stopping && $0.queue.isEmpty }) { break }
            wake.wait()
        }
        stopped.signal()
    }

    private func run(_ batch: [Job]) {
        let started = ContinuousClock.now
        for job in batch { metrics?.queueWait.record(started - job.enqueued) }
        metrics?.queueDepth.set(Double(queueDepth))
        let requests = batch.flatMap(\.requests)
        metrics?.batchRequests.record(Double(requests.count))
        metrics?.batchTokens.record(Double(requests.reduce(0) { $0 + $1.promptTokens }))
        let results = engine.embed(requests)
        var offset = 0
        for job in batch {
            let mine = Array(results[offset..<(offset + job.requests.count)])
            offset += job.requests.count
            job.continuation.resume(returning: mine)
        }
    }
}
