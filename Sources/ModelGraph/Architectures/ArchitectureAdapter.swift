import TensorFormats

/// One supported architecture: how to read its config and how its checkpoint names map onto
/// canonical graph names. Adding an architecture means adding one conforming type here and
/// one forward pass in `Models`.
public protocol ArchitectureAdapter: Sendable {
    static var kind: ArchitectureKind { get }
    /// `config.json` `architectures` / `model_type` values this adapter accepts.
    static var configNames: Set<String> { get }
    /// Parses the hyperparameters; `preprocessor` is `preprocessor_config.json` when present.
    static func parseConfig(_ config: JSONValue, file: String, preprocessor: JSONValue?) throws -> ModelConfig
    /// The canonical name of a checkpoint tensor, or nil for tensors the graph does not use.
    static func canonicalName(_ sourceName: String) -> String?
    /// Every tensor the forward pass needs, with its shape (outermost first).
    static func requiredTensors(_ config: ModelConfig) -> [(String, [Int])]
    /// Tensors that may be present and are carried along when they are (e.g. `lm_head.weight`).
    static func optionalTensors(_ config: ModelConfig) -> [(String, [Int])]
}

/// The architecture registry.
public enum Architectures {
    public static let all: [any ArchitectureAdapter.Type] = [Phi3VArchitecture.self, LlavaNextArchitecture.self,
                                                            LlamaTextArchitecture.self, Phi3TextArchitecture.self]

    /// The adapter for a config's `architectures`/`model_type`, or an error listing what is supported.
    public static func adapter(for config: JSONValue, file: String) throws -> any ArchitectureAdapter.Type {
        var names: [String] = config["architectures"]?.arrayValue?.compactMap { $0.stringValue } ?? []
        if let t = config["model_type"]?.stringValue { names.append(t) }
        for a in all where names.contains(where: a.configNames.contains) { return a }
        let supported = all.map { "\($0.kind.rawValue) (\($0.configNames.sorted().joined(separator: ", ")))" }.joined(separator: "; ")
        throw FormatError(file, "unsupported architecture \(names.isEmpty ? "(none declared)" : names.joined(separator: "/")); supported: \(supported)")
    }
}

/// Shared CLIP vision-tower names: everything after `vision_model.` (or the 5.x form without it).
enum CLIPNames {
    static func required(_ v: VisionConfig, prefix: String = "vision.") -> [(String, [Int])] {
        let c = v.hiddenSize, i = v.intermediateSize
        var t: [(String, [Int])] = [
            (prefix + "embeddings.class_embedding", [c]),
            (prefix + "embeddings.patch_embedding.weight", [c, 3, v.patchSize, v.patchSize]),
            (prefix + "embeddings.position_embedding.weight", [v.patchCount + 1, c]),
            (prefix + "pre_layrnorm.weight", [c]), (prefix + "pre_layrnorm.bias", [c]),
        ]
        for l in 0..<v.layersToRun {
            let p = prefix + "encoder.layers.\(l)."
            t += [(p + "layer_norm1.weight", [c]), (p + "layer_norm1.bias", [c]),
                  (p + "layer_norm2.weight", [c]), (p + "layer_norm2.bias", [c])]
            for m in ["q_proj", "k_proj", "v_proj", "out_proj"] {
                t += [(p + "self_attn.\(m).weight", [c, c]), (p + "self_attn.\(m).bias", [c])]
            }
            t += [(p + "mlp.fc1.weight", [i, c]), (p + "mlp.fc1.bias", [i]), (p + "mlp.fc2.weight", [c, i]), (p + "mlp.fc2.bias", [c])]
        }
        return t
    }

    /// Layers past the feature layer and the post-norm: carried if present, never used.
    static func optional(_ v: VisionConfig, prefix: String = "vision.") -> [(String, [Int])] {
        let c = v.hiddenSize, i = v.intermediateSize
        var t: [(String, [Int])] = [(prefix + "post_layernorm.weight", [c]), (prefix + "post_layernorm.bias", [c])]
        for l in v.layersToRun..<v.layerCount {
            let p = prefix + "encoder.layers.\(l)."
            t += [(p + "layer_norm1.weight", [c]), (p + "layer_norm1.bias", [c]), (p + "layer_norm2.weight", [c]), (p + "layer_norm2.bias", [c])]
            for m in ["q_proj", "k_proj", "v_proj", "out_proj"] { t += [(p + "self_attn.\(m).weight", [c, c]), (p + "self_attn.\(m).bias", [c])] }
            t += [(p + "mlp.fc1.weight", [i, c]), (p + "mlp.fc1.bias", [i]), (p + "mlp.fc2.weight", [c, i]), (p + "mlp.fc2.bias", [c])]
        }
        return t
    }

    /// Maps a name relative to the vision tower (with or without `vision_model.`) to `vision.…`.
    static func canonical(relative: String) -> String? {
        var rest = Substring(relative)
        if rest.hasPrefix("vision_model.") { rest = rest.dropFirst("vision_model.".count) }
        if rest.hasSuffix("position_ids") { return nil }
        return "vision." + rest
    }
}

/// Buffers some checkpoints carry that no forward pass reads.
func isIgnoredBuffer(_ name: String) -> Bool {
    name.hasSuffix(".position_ids") || name.hasSuffix("rotary_emb.inv_freq")
}

extension Architectures {
    /// The adapter type of an architecture kind.
    public static func adapter(for kind: ArchitectureKind) -> any ArchitectureAdapter.Type {
        all.first { $0.kind == kind } ?? Phi3VArchitecture.self
    }
}
