import Foundation
import ModelGraph
import Preprocessing
import TensorFormats

/// Configuration files: `config.json` → model config → the tensors its graph needs;
/// `preprocessor_config.json` under a fixed model config → its image processor on a small image;
/// `adapter_config.json` → the merge settings (patterns matched against module names).
enum ConfigEntries {
    /// `config.json` → architecture → `ModelConfig` → the graph bound to a source that has exactly
    /// the tensors the config asks for, as `inspect --graph` and `convert` bind it.
    static let config: FuzzEntries.Entry = { bytes in
        let json: JSONValue
        do { json = try JSONParser.parse(bytes) } catch { throw FormatError("config.json", "\(error)") }
        let arch = try Architectures.adapter(for: json, file: "config.json")
        let config = try arch.parseConfig(json, file: "config.json", preprocessor: nil)
        let source = ShapesOnlySource(tensors: (arch.requiredTensors(config) + arch.optionalTensors(config)).map {
            TensorDescriptor(name: $0.0, shape: $0.1, encoding: .dense(.f32))
        })
        var graph = try ModelGraph.bind(source: source, adapter: CanonicalNames.self, config: config, sourcePath: "config.json")
        graph.attachEmbeddingHead()
        _ = config.decoder.ropeFactors(forLength: 64)
    }

    /// `preprocessor_config.json` beside the Phi-3-V and the LLaVA-NeXT fixture configs, then the
    /// processor the pipeline builds from it on a small image.
    static let preprocessorConfig: FuzzEntries.Entry = { bytes in
        let pre: JSONValue
        do { pre = try JSONParser.parse(bytes) } catch { throw FormatError("preprocessor_config.json", "\(error)") }
        var firstError: Error?
        for (arch, config) in [(Phi3VArchitecture.self as any ArchitectureAdapter.Type, phi3VConfig), (LlavaNextArchitecture.self, llavaConfig)] {
            do {
                let c = try arch.parseConfig(config, file: "config.json", preprocessor: pre)
                switch c.image {
                case .phi3V(let i)?:
                    _ = try Phi3VImageProcessor(numCrops: i.numCrops, mean: i.imageMean, std: i.imageStd).process(smallImage)
                case .llavaNext(let i)?:
                    _ = try LlavaNextImageProcessor(pinpoints: i.pinpoints.map { ($0.height, $0.width) }, mean: i.imageMean, std: i.imageStd).process(smallImage)
                case nil: break
                }
            } catch { firstError = firstError ?? error }
        }
        if let firstError { throw firstError }
    }

    /// `adapter_config.json` → `AdapterConfig`, then rank/alpha/scale for module names as the merge asks.
    static let adapterConfig: FuzzEntries.Entry = { bytes in
        let json: JSONValue
        do { json = try JSONParser.parse(bytes) } catch { throw FormatError("adapter_config.json", "\(error)") }
        let config = try AdapterConfig(json: json, file: "adapter_config.json")
        for module in moduleNames {
            _ = config.rankAndAlpha(module: module)
            _ = config.scale(module: module)
        }
    }

    static let moduleNames = [
        "model.layers.0.self_attn.qkv_proj", "model.layers.1.mlp.down_proj",
        "model.vision_embed_tokens.img_processor.vision_model.encoder.layers.0.self_attn.q_proj",
        "language_model.model.layers.0.self_attn.q_proj", "multi_modal_projector.linear_1", "lm_head",
    ]

    static let phi3VConfig = FixtureFile.json("Fixtures/models/phi3_v/config.json")
    static let llavaConfig = FixtureFile.json("Fixtures/models/llava_next/config.json")
    /// 23×17: small, odd, not square.
    static let smallImage = RGBImage(width: 23, height: 17, pixels: (0..<(23 * 17 * 3)).map { UInt8(truncatingIfNeeded: $0 &* 37) })
}

/// Canonical names pass through unchanged (the shapes-only source already uses them).
enum CanonicalNames: ArchitectureAdapter {
    static let kind = ArchitectureKind.llama
    static let configNames: Set<String> = []
    static func parseConfig(_ config: JSONValue, file: String, preprocessor: JSONValue?) throws -> ModelConfig {
        throw FormatError(file, "not used")
    }
    static func canonicalName(_ sourceName: String) -> String? { sourceName }
    static func requiredTensors(_ config: ModelConfig) -> [(String, [Int])] { Architectures.adapter(for: config.kind).requiredTensors(config) }
    static func optionalTensors(_ config: ModelConfig) -> [(String, [Int])] { Architectures.adapter(for: config.kind).optionalTensors(config) }
}

/// Descriptors only: enough for `ModelGraph.bind`, which reads no bytes.
struct ShapesOnlySource: TensorSource {
    var tensors: [TensorDescriptor]
    var formatName: String { "shapes" }
    var architecture: String? { nil }
    func tensorData(named name: String) throws -> TensorData { throw FormatError("config.json", "no bytes for '\(name)'") }
}
