import TensorFormats

/// A Phi-3 text decoder on its own (`Phi3ForCausalLM`; GGUF arch `phi3`): fused `qkv_proj` and
/// `gate_up_proj`, LongRoPE. Embeds text only.
///
/// Canonical names: `decoder.*` as for Phi-3-V's decoder, `lm_head.weight`.
public enum Phi3TextArchitecture: ArchitectureAdapter {
    public static let kind = ArchitectureKind.phi3
    public static let configNames: Set<String> = ["Phi3ForCausalLM", "phi3"]

    public static func parseConfig(_ config: JSONValue, file: String, preprocessor: JSONValue?) throws -> ModelConfig {
        ModelConfig(kind: kind, decoder: try DecoderTensors.parsePhi3(ConfigReader(json: config, file: file)), vision: nil, image: nil)
    }

    public static func canonicalName(_ name: String) -> String? { DecoderTensors.canonicalTextModelName(name) }

    public static func requiredTensors(_ c: ModelConfig) -> [(String, [Int])] { DecoderTensors.fused(c.decoder) }

    public static func optionalTensors(_ c: ModelConfig) -> [(String, [Int])] { DecoderTensors.head(c.decoder) }
}
