import TensorFormats

/// `--dump-embeddings F.safetensors`: the embeddings an eval used, for checking its scores
/// independently. Per dataset NAME (and `compare/NAME` for the compared model):
///
/// - `NAME/queries` `[Q, H]` f32: each evaluated row's query embedding, in row order;
/// - `NAME/targets` `[T, H]` f32: each distinct candidate's embedding;
/// - metadata `NAME/lines` (JSON list of the rows' line numbers), `NAME/query_inputs` and
///   `NAME/target_inputs` (JSON lists of `[text, image_path]` exactly as the data holds them, so a
///   checker can find every candidate of every row by its input);
/// - metadata `models`: JSON list of `{"backbone", "identity"}`, the compared model second.
struct EmbeddingDump {
    struct Part {
        var lines: [Int] = []
        var queryInputs: [EvalInput] = []
        var queries: [[[Float]]]  // [side][row]
        var targetIndex: [EvalInput: Int] = [:]
        var targetInputs: [EvalInput] = []
        var targets: [[[Float]]]  // [side][target]
        init(sides: Int) {
            queries = Array(repeating: [], count: sides)
            targets = Array(repeating: [], count: sides)
        }
    }

    let sides: Int
    var order: [String] = []
    var parts: [String: Part] = [:]

    init(sides: Int) { self.sides = sides }

    /// Records one evaluated row; `vectors[side]` is [query, candidate 0, candidate 1, …].
    mutating func add(dataset: String, row: EvalRow, vectors: [[[Float]]]) {
        if parts[dataset] == nil { order.append(dataset) }
        var part = parts.removeValue(forKey: dataset) ?? Part(sides: sides)
        part.lines.append(row.line)
        part.queryInputs.append(row.query)
        for s in 0..<sides { part.queries[s].append(vectors[s][0]) }
        for (i, c) in row.candidates.enumerated() where part.targetIndex[c] == nil {
            part.targetIndex[c] = part.targetInputs.count
            part.targetInputs.append(c)
            for s in 0..<sides { part.targets[s].append(vectors[s][i + 1]) }
        }
        parts[dataset] = part
    }

    func write(to path: String, models: [ModelDescriptor]) throws {
        var metadata: [String: String] = ["format": "pt"]
        metadata["models"] = JSONValue.array(models.map { EvalReport.json($0) }).serialized()
        var tensors: [(TensorDescriptor, [[Float]])] = []
        for name in order {
            guard let part = parts[name] else { continue }
            metadata[name + "/lines"] = JSONValue.array(part.lines.map { .int($0) }).serialized()
            metadata[name + "/query_inputs"] = Self.inputsJSON(part.queryInputs)
            metadata[name + "/target_inputs"] = Self.inputsJSON(part.targetInputs)
            for s in 0..<sides {
                let prefix = (s == 0 ? "" : "compare/") + name
                let width = part.queries[s].first?.count ?? 0
                tensors.append((TensorDescriptor(name: prefix + "/queries", shape: [part.queries[s].count, width], encoding: .dense(.f32)), part.queries[s]))
                tensors.append((TensorDescriptor(name: prefix + "/targets", shape: [part.targets[s].count, width], encoding: .dense(.f32)), part.targets[s]))
            }
        }
        let byName = Dictionary(uniqueKeysWithValues: tensors.map { ($0.0.name, $0.1) })
        try SafetensorsWriter.write(to: path, tensors: tensors.map(\.0), metadata: metadata) { d, out in
            for v in byName[d.name] ?? [] { try out.write(DenseCodec.encode(v, as: .f32)) }
        }
    }

    static func inputsJSON(_ inputs: [EvalInput]) -> String {
        JSONValue.array(inputs.map { .array([.string($0.text), .string($0.imagePath)]) }).serialized()
    }
}
