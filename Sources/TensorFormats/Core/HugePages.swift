#if canImport(Glibc)
import Glibc
#endif

/// Asks the kernel to back a large, not yet touched buffer with transparent huge pages (Linux,
/// THP in `madvise` mode, as Debian ships it). Decoding a 200 MB fp32 tensor then faults 2 MB
/// pages instead of 4 KB ones: converting with an adapter (which decodes every adapted weight to
/// fp32) spent about half its time in page faults without it. A hint only: no effect elsewhere.
public enum HugePages {
    /// Buffers smaller than this are left alone.
    public static let threshold = 8 << 20

    /// Advises the 2 MB-aligned interior of `[start, start + bytes)`.
    public static func advise(_ start: UnsafeMutableRawPointer, bytes: Int) {
        #if os(Linux)
        guard bytes >= threshold else { return }
        let huge = 2 << 20
        let lo = (Int(bitPattern: start) + huge - 1) & ~(huge - 1)
        let hi = (Int(bitPattern: start) + bytes) & ~(huge - 1)
        guard hi > lo, let p = UnsafeMutableRawPointer(bitPattern: lo) else { return }
        _ = madvise(p, hi - lo, MADV_HUGEPAGE)
        #endif
    }
}
