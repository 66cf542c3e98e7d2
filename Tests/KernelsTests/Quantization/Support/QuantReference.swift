import Foundation
import Testing
import TensorFormats

/// `Fixtures/reference/quant/`: the pinned quantizer inputs (`f32/`), the dequantized weights of
/// every scheme, and `manifest.json`, which says which weight scheme each sample tensor got.
struct QuantReference {
    static let directory: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<5 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("Fixtures/reference/quant").path
    }()

    let manifest: [String: Any]

    init() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.directory + "/manifest.json"))
        manifest = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "manifest.json is not an object")
    }

    /// The scheme folders (`int8`, `int4-g32`, ..., and the `f32` control).
    func schemeDirectories() throws -> [String] {
        try #require(manifest["schemes"] as? [String: Any], "manifest.json has no schemes").keys.sorted()
    }

    /// backbone → sample tensor name → scheme folder → weight scheme name (nil: left fp32).
    func weightSamples() throws -> [String: [String: [String: String?]]] {
        let samples = try #require(manifest["weight_samples"] as? [String: Any], "manifest.json has no weight_samples")
        let tensors = try #require(samples["tensors"] as? [String: [String: Any]], "weight_samples has no tensors")
        var out: [String: [String: [String: String?]]] = [:]
        for (backbone, byName) in tensors {
            for (name, entry) in byName {
                let entry = try #require(entry as? [String: Any], "\(backbone) \(name): not an object")
                let schemes = try #require(entry["scheme"] as? [String: Any], "\(backbone) \(name): no scheme map")
                out[backbone, default: [:]][name] = schemes.mapValues { $0 as? String }
            }
        }
        return out
    }

    /// `<folder>/<backbone>.weights.safetensors`.
    func weights(_ folder: String, _ backbone: String) throws -> SafetensorsFile {
        try SafetensorsFile(path: "\(Self.directory)/\(folder)/\(backbone).weights.safetensors")
    }
}
