import Foundation
import Runtime

/// Paths into the repository's committed fixtures.
enum RuntimeFixtures {
    static let repoRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()

    static let fixtures = repoRoot + "/Fixtures"
    static let phi3V = fixtures + "/models/phi3_v"
    static let llavaNext = fixtures + "/models/llava_next"
    static let phi3VAdapter = fixtures + "/adapters/reference/phi3_v_adapter"
    static let coffee = fixtures + "/reference/images/coffee.png"
    static let example = fixtures + "/reference/images/example.jpg"

    static func bytes(_ path: String) -> [UInt8] {
        (try? [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))) ?? []
    }

    static func dataURL(_ path: String, mime: String) -> String {
        "data:\(mime);base64," + Data(bytes(path)).base64EncodedString()
    }

    /// Engines are opened once per model for the whole suite.
    static let phi3VEngine: EmbeddingEngine? = try? EmbeddingEngine.open(ModelSpec(path: phi3V))
    static let llavaEngine: EmbeddingEngine? = try? EmbeddingEngine.open(ModelSpec(path: llavaNext))
}
