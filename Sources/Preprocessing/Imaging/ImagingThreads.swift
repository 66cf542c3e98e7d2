import Dispatch

/// How many threads image resampling uses (default: every online core). Rows are split into
/// contiguous chunks; results do not depend on the thread count.
public enum ImagingThreads {
    nonisolated(unsafe) public static var count: Int = max(1, min(64, Int(_onlineProcessors())))

    /// Calls `body` on contiguous chunks of 0..<n, in parallel when `count` > 1 and the work is large enough.
    static func forEachChunk(_ n: Int, _ body: (Range<Int>) -> Void) {
        let t = min(count, max(1, n / 16))
        if t <= 1 { body(0..<n); return }
        withoutActuallyEscaping(body) { body in
            let box = UnsafeSendable(body)
            DispatchQueue.concurrentPerform(iterations: t) { i in box.value((n * i / t)..<(n * (i + 1) / t)) }
        }
    }
}

/// Carries a value into concurrent closures whose callers guarantee disjoint access.
struct UnsafeSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

#if canImport(Glibc)
import Glibc
private func _onlineProcessors() -> Int { sysconf(Int32(_SC_NPROCESSORS_ONLN)) }
#else
private func _onlineProcessors() -> Int { 1 }
#endif
