#if canImport(Glibc)
import Glibc
#endif

/// What the processor supports, read once from `/proc/cpuinfo` (Linux).
public struct CPUFeatures: Sendable {
    public let flags: Set<String>

    public static let current: CPUFeatures = {
        guard let f = fopen("/proc/cpuinfo", "r") else { return CPUFeatures(flags: []) }
        defer { fclose(f) }
        var line: UnsafeMutablePointer<CChar>?
        var cap = 0
        defer { free(line) }
        while getline(&line, &cap, f) > 0 {
            guard let line else { break }
            let s = String(cString: line)
            if s.hasPrefix("flags") || s.hasPrefix("Features") {
                let parts = s.split(separator: ":", maxSplits: 1)
                if parts.count == 2 {
                    return CPUFeatures(flags: Set(parts[1].split(separator: " ").map { $0.trimmingCharacters() }))
                }
            }
        }
        return CPUFeatures(flags: [])
    }()

    public var hasAVX2: Bool { flags.contains("avx2") && flags.contains("fma") }
    /// The AVX-512 subset OpenBLAS's SkylakeX kernels need.
    public var hasAVX512: Bool { ["avx512f", "avx512bw", "avx512vl", "avx512dq"].allSatisfy(flags.contains) }
    /// The AVX-512 subset vlmembed's own 512-bit kernels need (`KernelISA.avx512`).
    public var hasAVX512Kernels: Bool { ["avx512f", "avx512bw", "avx512vl"].allSatisfy(flags.contains) }
    public var hasAVX512VNNI: Bool { hasAVX512Kernels && flags.contains("avx512_vnni") }
    public var hasAMXInt8: Bool { flags.contains("amx_int8") && flags.contains("amx_tile") }
}

extension Substring {
    fileprivate func trimmingCharacters() -> String {
        String(self.drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\n" || $0 == "\t" }).reversed())
    }
}
