import Foundation
import Preprocessing
import TensorFormats

/// Fixture locations and helpers for the imaging tests.
enum ImagingFixtures {
    /// The repository root (three levels above this file's directory).
    static let repoRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()

    static let dir = repoRoot + "/Fixtures/images"
    /// The upstream reference images (copied from ../shared/reference/images).
    static let referenceImages = repoRoot + "/Fixtures/reference/images"

    static func path(_ relative: String) -> String { dir + "/" + relative }

    /// `manifest.json` written by Tools/make_image_fixtures.py.
    static var manifest: [String: Any] {
        guard let data = FileManager.default.contents(atPath: dir + "/manifest.json"),
              let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        return obj
    }

    static func cases(_ key: String) -> [[String: Any]] { manifest[key] as? [[String: Any]] ?? [] }

    static func bytes(_ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map { [UInt8]($0) }
    }

    static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hex(bytes)
    }

    /// Resolves a resize `source`: fixture-relative ("resize/…") or a reference image name.
    static func sourcePath(_ source: String) -> String {
        source.hasPrefix("resize/") || source.hasPrefix("torch/") ? path(source) : referenceImages + "/" + source
    }

    /// Max and mean absolute byte difference.
    static func diff(_ a: [UInt8], _ b: [UInt8]) -> (max: Int, mean: Double, differing: Int) {
        var mx = 0, sum = 0, n = 0
        for (x, y) in zip(a, b) {
            let d = abs(Int(x) - Int(y))
            mx = max(mx, d); sum += d
            if d != 0 { n += 1 }
        }
        return (mx, a.isEmpty ? 0 : Double(sum) / Double(a.count), n)
    }
}
