import ModelGraph
import TensorFormats

/// Checkpoint readers: safetensors, GGUF (header, tensors, and the graph `convert`/`embed` build
/// from it), the restricted unpickler alone, and PyTorch zip checkpoints.
enum CheckpointEntries {
    /// Tensors up to this size are also decoded to f32 (as `export` and `verify` do).
    static let decodeLimit = 1 << 20

    /// `inspect`/`export` of one `.safetensors` file.
    static let safetensors: FuzzEntries.Entry = { bytes in
        try Scratch.with([("model.safetensors", bytes)]) { dir in
            let file = try SafetensorsFile(path: dir + "/model.safetensors")
            try touch(file, path: dir)
        }
    }

    /// `inspect`/`export` of a `.gguf` (ggml blocks dequantized), then the graph of `convert`/`embed`.
    static let gguf: FuzzEntries.Entry = { bytes in
        try Scratch.with([("model.gguf", bytes)]) { dir in
            let path = dir + "/model.gguf"
            let file = try GGUFFile(path: path)
            try touch(file, path: path)
            _ = try ModelGraph.load(gguf: path)
        }
    }

    /// The restricted unpickler on a raw pickle stream (a `data.pkl`).
    static let pickle: FuzzEntries.Entry = { bytes in
        _ = try RestrictedUnpickler(file: "data.pkl").unpickle(bytes)
    }

    /// `inspect`/`export` of a PyTorch zip checkpoint (`.bin`).
    static let torchZip: FuzzEntries.Entry = { bytes in
        try Scratch.with([("pytorch_model.bin", bytes)]) { dir in
            let file = try TorchCheckpoint(path: dir + "/pytorch_model.bin")
            try touch(file, path: dir)
        }
    }

    /// What `inspect` reads, then every small tensor's bytes as f32.
    static func touch(_ source: any TensorSource, path: String) throws {
        let report = InspectReport(path: path, source: source)
        _ = report.json.serialized()
        _ = report.parameterCount
        _ = report.bytesByType
        for d in source.tensors {
            let data = try source.tensorData(named: d.name)
            if data.bytes.count <= decodeLimit { _ = try data.floats() }
        }
    }
}
