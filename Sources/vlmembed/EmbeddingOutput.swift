import Models
import TensorFormats

/// Writes embeddings and traces in the formats `embed` promises (thin glue over TensorFormats).
enum EmbeddingOutput {
    static func write(_ rows: [(String, [Float])], to path: String) throws {
        let width = rows.first?.1.count ?? 0
        if path.hasSuffix(".jsonl") {
            var text = ""
            for (id, e) in rows {
                text += JSONValue.object([("id", .string(id)), ("embedding", .array(e.map { .double(Double($0)) }))]).serialized() + "\n"
            }
            let out = try AtomicFileWriter(destination: path)
            try out.write(Array(text.utf8))
            try out.commit()
        } else {
            let ids = JSONValue.array(rows.map { .string($0.0) }).serialized()
            let d = TensorDescriptor(name: "embeddings", shape: [rows.count, width], encoding: .dense(.f32))
            let values = rows.flatMap { $0.1 }
            try SafetensorsWriter.write(to: path, tensors: [(d, DenseCodec.encode(values, as: .f32))], metadata: ["format": "pt", "ids": ids])
        }
    }

    /// One request: names as recorded; several: `<id>/<name>`.
    static func writeTrace(_ traces: [(String, Trace)], to path: String) throws {
        var tensors: [(TensorDescriptor, [UInt8])] = []
        for (id, t) in traces {
            for e in t.entries {
                let name = traces.count == 1 ? e.name : id + "/" + e.name
                tensors.append((TensorDescriptor(name: name, shape: e.shape, encoding: .dense(.f32)), DenseCodec.encode(e.values, as: .f32)))
            }
        }
        try SafetensorsWriter.write(to: path, tensors: tensors)
    }
}
