import TensorFormats

/// A llama-family text decoder on its own (`LlamaForCausalLM`, `MistralForCausalLM`; GGUF arch
/// `llama`): separate q/k/v and gate/up projections, plain RoPE, GQA. Embeds text only.
///
/// Canonical names: `decoder.*` as for LLaVA-NeXT's language model, `lm_head.weight`.
public enum LlamaTextArchitecture: ArchitectureAdapter {
    public static let kind = ArchitectureKind.llama
    public static let configNames: Set<String> = ["LlamaForCausalLM", "MistralForCausalLM", "llama", "mistral"]

    public static func parseConfig(_ config: JSONValue, file: String, preprocessor: JSONValue?) throws -> ModelConfig {
        ModelConfig(kind: kind, decoder: try DecoderTensors.parseLlama(ConfigReader(json: config, file: file), mistralDefaults: false),
                    vision: nil, image: nil)
    }

    public static func canonicalName(_ name: String) -> String? { DecoderTensors.canonicalTextModelName(name) }

    public static func requiredTensors(_ c: ModelConfig) -> [(String, [Int])] { DecoderTensors.separate(c.decoder) }

    public static func optionalTensors(_ c: ModelConfig) -> [(String, [Int])] { DecoderTensors.head(c.decoder) }
}
