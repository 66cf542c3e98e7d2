import Dispatch
import Synchronization

/// Process-wide parallelism settings and a chunked parallel loop on Dispatch's shared pool
/// (no thread is spawned per call).
public enum Parallel {
    nonisolated(unsafe) private static var configuredThreads: Int = 0

    /// Threads used by kernels (default: every online core).
    public static var threadCount: Int {
        configuredThreads > 0 ? configuredThreads : max(1, activeProcessorCount)
    }

    /// The most threads kernels use: 256. Each thread has its own scratch (and OpenBLAS its own
    /// buffers), so absurd counts only exhaust memory or address space.
    public static let maxThreads = 256

    /// Sets the thread count for kernels and for OpenBLAS (call once, before work starts). Counts
    /// below 1 become 1 and counts above `maxThreads` become `maxThreads`; OpenBLAS gets at most
    /// one thread per online core (its per-thread buffers under an address-space limit otherwise
    /// make its allocator spin). Returns the count applied, so that callers can warn when it differs.
    @discardableResult
    public static func setThreadCount(_ n: Int) -> Int {
        configuredThreads = min(max(1, n), maxThreads)
        BLAS.setThreadCount(min(configuredThreads, max(1, activeProcessorCount)))
        return configuredThreads
    }

    static var activeProcessorCount: Int {
        #if canImport(Glibc)
        return Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        #else
        return 1
        #endif
    }

    /// Calls `body(i)` for every i in 0..<count, split into at most `threadCount` contiguous chunks.
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        let t = min(threadCount, count)
        if t <= 1 {
            for i in 0..<count { body(i) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let box = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: t) { chunk in
                let lo = count * chunk / t
                let hi = count * (chunk + 1) / t
                for i in lo..<hi { box.value(i) }
            }
        }
    }

    /// Calls `body(i)` for every i in 0..<count on up to `threadCount` threads, each thread taking
    /// the lowest index not yet taken — for tasks of uneven cost (e.g. writing one tile while
    /// quantizing the next), or on a shared machine, where a thread that loses its core claims
    /// fewer tasks instead of holding the others up. With one thread, in index order.
    public static func forEachClaimed(_ count: Int, _ body: (Int) -> Void) {
        forEachClaimed(count, state: {}) { _, i in body(i) }
    }

    /// `forEachClaimed` with per-thread state: every participating thread calls `makeState()` once
    /// (say, to allocate its scratch), then `body(&state, i)` for each index it claims.
    public static func forEachClaimed<State>(_ count: Int, state makeState: () -> State, _ body: (inout State, Int) -> Void) {
        let t = min(threadCount, count)
        if t <= 1 {
            var state = makeState()
            for i in 0..<count { body(&state, i) }
            return
        }
        let next = Mutex(0)
        withoutActuallyEscaping(makeState) { makeState in
            withoutActuallyEscaping(body) { body in
                let make = UncheckedSendable(makeState), box = UncheckedSendable(body)
                DispatchQueue.concurrentPerform(iterations: t) { _ in
                    var state = make.value()
                    while true {
                        let i = next.withLock { n in defer { n += 1 }; return n }
                        if i >= count { return }
                        box.value(&state, i)
                    }
                }
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Carries a value into a concurrent closure whose callers guarantee disjoint access.
public struct UncheckedSendable<T>: @unchecked Sendable {
    public let value: T
    public init(_ value: T) { self.value = value }
}
