/// A Hugging Face model folder: `config.json` plus weights as a sharded safetensors checkpoint
/// (`model.safetensors.index.json`), a single `model.safetensors`, or a PyTorch `pytorch_model.bin`.
public struct HFDirectory: TensorSource {
    public let path: String
    /// The parsed `config.json` (nil when the folder has none).
    public let config: JSONValue?
    /// The weights.
    public let weights: any TensorSource

    public var formatName: String { weights.formatName }
    public var tensors: [TensorDescriptor] { weights.tensors }

    /// `config.json`'s first `architectures` entry, else its `model_type`.
    public var architecture: String? {
        if let a = config?["architectures"]?.arrayValue?.first?.stringValue { return a }
        return config?["model_type"]?.stringValue
    }

    /// `config.json`'s `model_type`.
    public var modelType: String? { config?["model_type"]?.stringValue }

    public init(path: String) throws {
        self.path = path
        let configPath = path + "/config.json"
        if FileSystem.isFile(configPath) {
            config = try JSONParser.parse(contentsOf: configPath)
        } else {
            config = nil
        }
        let index = path + "/model.safetensors.index.json"
        let single = path + "/model.safetensors"
        let torch = path + "/pytorch_model.bin"
        if FileSystem.isFile(index) {
            weights = try ShardedSafetensors(indexPath: index)
        } else if FileSystem.isFile(single) {
            weights = try SafetensorsFile(path: single)
        } else if FileSystem.isFile(torch) {
            weights = try TorchCheckpoint(path: torch)
        } else {
            throw FormatError(path, "no weights found (expected model.safetensors.index.json, model.safetensors or pytorch_model.bin)")
        }
    }

    public func tensorData(named name: String) throws -> TensorData {
        try weights.tensorData(named: name)
    }
}
