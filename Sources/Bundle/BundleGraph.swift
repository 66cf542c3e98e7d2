import ModelGraph
import TensorFormats

extension BundleFile {
    /// The bundle as a model graph: configuration re-read from the embedded `config.json` by the
    /// architecture's own parser, every tensor bound to its mapped bytes in its storage scheme,
    /// the embedding head from the manifest, and the embedded files (tokenizer) as the graph's files.
    public func graph() throws -> ModelGraph {
        let arch = Architectures.adapter(for: manifest.architecture)
        let config = try arch.parseConfig(manifest.config, file: path + ":config.json", preprocessor: manifest.preprocessorConfig)
        var tensors: [GraphTensor] = []
        for t in manifest.tensors {
            guard let data = bytes(t.data).baseAddress else { throw FormatError(path, "tensor '\(t.name)' has no data") }
            let stored = StoredTensor(scheme: t.scheme, data: data,
                                      scales: t.scales.flatMap { bytes($0).baseAddress }, zeros: t.zeros.flatMap { bytes($0).baseAddress },
                                      owner: self, preferredInputs: manifest.plan.int4Inputs)
            tensors.append(GraphTensor(name: t.name, shape: t.shape, value: .stored(stored)))
        }
        let byName = Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, $0.shape) })
        for (name, shape) in arch.requiredTensors(config) {
            guard let found = byName[name] else { throw FormatError(path, "bundle lacks tensor '\(name)' (required by \(config.kind.rawValue))") }
            guard found == shape else { throw FormatError(path, "tensor '\(name)' has shape \(found), expected \(shape) from its config") }
        }
        let files = ModelFiles(origin: path) { [self] name in try verifiedEmbeddedFile(name) }
        var graph = ModelGraph(config: config, tensors: tensors, ignoredSourceTensors: [], sourcePath: path, files: files)
        graph.attachEmbeddingHead(manifest.head)
        return graph
    }
}
