import Models
import TensorFormats

/// Writes embeddings and traces in the files `embed` promises, atomically.
public enum EmbeddingFile {
    /// Whether `path` names an output `embed` can write (`.safetensors` or `.jsonl`).
    public static func isSupported(_ path: String) -> Bool {
        path.hasSuffix(".safetensors") || path.hasSuffix(".jsonl")
    }

    /// `.jsonl`: `{"id", "embedding"}` rows; `.safetensors`: `embeddings` `[N, H]` float32 with the ids in the metadata.
    public static func write(_ rows: [Embedding], to path: String) throws {
        let width = rows.first?.vector.count ?? 0
        if path.hasSuffix(".jsonl") {
            var text = ""
            for e in rows {
                text += JSONValue.object([("id", .string(e.id)), ("embedding", EmbeddingsAPIResponse.floats(e.vector))]).serialized() + "\n"
            }
            let out = try AtomicFileWriter(destination: path)
            try out.write(Array(text.utf8))
            try out.commit()
        } else {
            let ids = JSONValue.array(rows.map { .string($0.id) }).serialized()
            let d = TensorDescriptor(name: "embeddings", shape: [rows.count, width], encoding: .dense(.f32))
            let values = rows.flatMap(\.vector)
            try SafetensorsWriter.write(to: path, tensors: [(d, DenseCodec.encode(values, as: .f32))], metadata: ["format": "pt", "ids": ids])
        }
    }

    /// Every traced intermediate: one request under its recorded names; several as `<id>/<name>`.
    public static func writeTrace(_ traces: [(String, Trace)], to path: String) throws {
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
