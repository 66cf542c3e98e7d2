import Foundation
import TensorFormats

/// A PEFT LoRA/DoRA adapter folder (`adapter_config.json` + `adapter_model.safetensors` or
/// `adapter_model.bin`), with its keys grouped per adapted module.
public struct LoRAAdapter: Sendable {
    public let path: String
    public let config: AdapterConfig
    public let weights: any TensorSource
    /// Adapted modules by PEFT module path (e.g. `model.layers.0.self_attn.qkv_proj`), in file order.
    public let modules: [Module]
    /// Full replacement tensors (`modules_to_save`), by checkpoint tensor name.
    public let replacements: [(name: String, key: String)]

    public struct Module: Sendable {
        public var path: String
        public var loraA: String?
        public var loraB: String?
        public var loraBBias: String?
        public var magnitude: String?
    }

    static let prefix = "base_model.model."

    public init(directory: String) throws {
        path = directory
        let configPath = directory + "/adapter_config.json"
        config = try AdapterConfig(json: try JSONParser.parse(contentsOf: configPath), file: configPath)
        if FileSystem.isFile(directory + "/adapter_model.safetensors") {
            weights = try SafetensorsFile(path: directory + "/adapter_model.safetensors")
        } else if FileSystem.isFile(directory + "/adapter_model.bin") {
            weights = try TorchCheckpoint(path: directory + "/adapter_model.bin")
        } else {
            throw FormatError(directory, "no adapter_model.safetensors or adapter_model.bin")
        }
        var order: [String] = []
        var byPath: [String: Module] = [:]
        var replacements: [(String, String)] = []
        let file = (weights as? SafetensorsFile)?.path ?? directory + "/adapter_model.bin"
        for d in weights.tensors {
            guard d.name.hasPrefix(Self.prefix) else {
                throw FormatError(file, "adapter key '\(d.name)' lacks the base_model.model. prefix PEFT writes")
            }
            var rest = String(d.name.dropFirst(Self.prefix.count))
            rest = rest.replacingOccurrences(of: ".default.", with: ".")
            if rest.hasSuffix(".default") { rest = String(rest.dropLast(".default".count)) }
            let kinds: [(String, WritableKeyPath<Module, String?>)] = [
                (".lora_A.weight", \.loraA), (".lora_B.weight", \.loraB), (".lora_B.bias", \.loraBBias),
                (".lora_magnitude_vector.weight", \.magnitude), (".lora_magnitude_vector", \.magnitude),
            ]
            if rest.contains(".lora_embedding_") {
                throw FormatError(file, "adapter key '\(d.name)': LoRA on embeddings is not supported")
            }
            if let (suffix, kp) = kinds.first(where: { rest.hasSuffix($0.0) }) {
                let module = String(rest.dropLast(suffix.count))
                if byPath[module] == nil { order.append(module); byPath[module] = Module(path: module) }
                byPath[module]![keyPath: kp] = d.name
            } else if rest.contains("lora_") {
                throw FormatError(file, "adapter key '\(d.name)' is not a LoRA/DoRA tensor this tool understands")
            } else {
                replacements.append((rest, d.name))  // modules_to_save (or a saved base tensor)
            }
        }
        modules = order.compactMap { byPath[$0] }
        self.replacements = replacements
        for m in modules {
            guard m.loraA != nil, m.loraB != nil else {
                let missing = [m.loraA == nil ? "lora_A" : nil, m.loraB == nil ? "lora_B" : nil].compactMap { $0 }.joined(separator: " and ")
                throw FormatError(file, "module '\(m.path)' has no \(missing) weight (\(missing.contains(" and ") ? "only a bias or magnitude" : m.loraA == nil ? "lora_B is present" : "lora_A is present"))")
            }
            if config.useDoRA && m.magnitude == nil {
                throw FormatError(file, "module '\(m.path)': use_dora is set but lora_magnitude_vector is missing")
            }
        }
    }
}
