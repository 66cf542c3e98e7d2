import NIOCore
import Synchronization

/// Drops a connection's queued jobs when the connection closes, with one close callback per
/// connection: registering one per request would hold a closure for every request a keep-alive
/// connection ever made until it closes.
final class ConnectionWatch: Sendable {
    private let jobs = Mutex<[ObjectIdentifier: Set<UInt64>]>([:])

    /// Remembers that job `id` belongs to `channel`; the first job of a connection registers its close callback.
    func track(_ id: UInt64, on channel: any Channel, scheduler: EmbeddingScheduler) {
        let key = ObjectIdentifier(channel)
        let isFirst = jobs.withLock { j -> Bool in
            defer { j[key, default: []].insert(id) }
            return j[key] == nil
        }
        guard isFirst else { return }
        channel.closeFuture.whenComplete { [self] _ in
            let orphans = jobs.withLock { $0.removeValue(forKey: key) } ?? []
            for id in orphans { scheduler.cancel(id) }
        }
    }

    /// Job `id` finished (answered or refused): nothing to cancel for it any more.
    func finished(_ id: UInt64, on channel: any Channel) {
        _ = jobs.withLock { $0[ObjectIdentifier(channel)]?.remove(id) }
    }

    /// Connections with a registered close callback, and jobs still tracked (for tests).
    var connections: Int { jobs.withLock { $0.count } }
    var pendingJobs: Int { jobs.withLock { $0.values.reduce(0) { $0 + $1.count } } }
}
