import TensorFormats

extension ModelGraph {
    /// Loads a Hugging Face model folder: reads `config.json` (and `preprocessor_config.json`),
    /// picks the architecture, maps every checkpoint tensor to its canonical name and checks that
    /// every tensor the forward pass needs is present with the right shape. Reads headers only.
    public static func load(directory: String) throws -> ModelGraph {
        let hf = try HFDirectory(path: directory)
        guard let configJSON = hf.config else { throw FormatError(directory, "no config.json: cannot tell the architecture") }
        let configFile = directory + "/config.json"
        let adapter = try Architectures.adapter(for: configJSON, file: configFile)
        var preprocessor: JSONValue?
        let prePath = directory + "/preprocessor_config.json"
        if FileSystem.isFile(prePath) {
            preprocessor = try JSONParser.parse(contentsOf: prePath)
        }
        let config = try adapter.parseConfig(configJSON, file: configFile, preprocessor: preprocessor)
        return try bind(source: hf.weights, adapter: adapter, config: config, sourcePath: directory)
    }

    /// Binds a checkpoint's tensors to canonical names and validates them against `config`.
    public static func bind(source: any TensorSource, adapter: any ArchitectureAdapter.Type, config: ModelConfig, sourcePath: String) throws -> ModelGraph {
        var byCanonical: [String: TensorDescriptor] = [:]
        var ignored: [String] = []
        for d in source.tensors {
            guard let c = adapter.canonicalName(d.name) else { ignored.append(d.name); continue }
            if byCanonical[c] != nil {
                // An alias (e.g. Phi-3-V's vision_embed_tokens.wte for embed_tokens): keep the first.
                ignored.append(d.name)
                continue
            }
            byCanonical[c] = d
        }
        var bound: [GraphTensor] = []
        for (name, shape) in adapter.requiredTensors(config) {
            guard let d = byCanonical[name] else {
                throw FormatError(sourcePath, "missing tensor '\(name)' (required by \(config.kind.rawValue))")
            }
            guard d.shape == shape else {
                throw FormatError(sourcePath, "tensor '\(d.name)' has shape \(d.shape), expected \(shape) from config.json")
            }
            bound.append(GraphTensor(name: name, shape: shape, value: .source(source, d.name)))
            byCanonical[name] = nil
        }
        for (name, shape) in adapter.optionalTensors(config) {
            guard let d = byCanonical[name] else { continue }
            guard d.shape == shape else {
                throw FormatError(sourcePath, "tensor '\(d.name)' has shape \(d.shape), expected \(shape) from config.json")
            }
            bound.append(GraphTensor(name: name, shape: shape, value: .source(source, d.name)))
            byCanonical[name] = nil
        }
        ignored += byCanonical.values.map { $0.name }.sorted()
        return ModelGraph(config: config, tensors: bound, ignoredSourceTensors: ignored, sourcePath: sourcePath)
    }
}

extension ModelGraph {
    /// Loads a model folder, merges a PEFT adapter folder into it (fp32, as `merge_and_unload`) and
    /// attaches the VLM2Vec embedding head. Returns the merge records too.
    public static func loadEmbeddingGraph(directory: String, adapter adapterDirectory: String?) throws -> (ModelGraph, [AdapterMergeRecord]) {
        try loadEmbeddingGraph(source: directory, adapter: adapterDirectory)
    }

    /// Like `loadEmbeddingGraph(directory:adapter:)` for any source: a model folder, or a GGUF
    /// text model with an optional `clip` mmproj (`mmproj` is refused for folders).
    public static func loadEmbeddingGraph(source: String, adapter adapterDirectory: String?, mmproj: String? = nil) throws -> (ModelGraph, [AdapterMergeRecord]) {
        var graph: ModelGraph
        if GGUFFile.isGGUF(path: source) {
            graph = try load(gguf: source, mmproj: mmproj)
        } else {
            if let mmproj { throw FormatError(mmproj, "--mmproj goes with a GGUF model; \(source) is not one") }
            graph = try load(directory: source)
        }
        var records: [AdapterMergeRecord] = []
        if let adapterDirectory {
            records = try graph.merge(try LoRAAdapter(directory: adapterDirectory), architecture: Architectures.adapter(for: graph.config.kind))
        }
        graph.attachEmbeddingHead()
        return (graph, records)
    }
}
