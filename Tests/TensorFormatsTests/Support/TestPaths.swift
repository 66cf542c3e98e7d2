import Foundation

/// Locations tests read from and write to.
enum TestPaths {
    /// The repository root (three levels above this file).
    static let repoRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()

    static let fixtures = repoRoot + "/Fixtures"

    /// A fresh empty directory under the system temp dir, removed at process exit by the OS's tmp cleaning.
    static func makeTemporaryDirectory(_ label: String = "t") throws -> String {
        let dir = NSTemporaryDirectory() + "vlmembed-tests-\(label)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }
}

/// A small deterministic PRNG (SplitMix64) for test data.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
