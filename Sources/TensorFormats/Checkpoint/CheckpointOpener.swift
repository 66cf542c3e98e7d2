/// Opens any checkpoint vlmembed reads, choosing the reader by what the path is:
/// a folder (Hugging Face layout), `*.safetensors`, `model.safetensors.index.json`, `*.gguf`,
/// or a PyTorch zip (`*.bin`, `*.pt`, `*.pth`). Files with other names are recognised by their
/// first bytes.
public enum CheckpointOpener {
    public static func open(_ path: String) throws -> any TensorSource {
        guard FileSystem.exists(path) else { throw FormatError(path, "no such file or directory") }
        if FileSystem.isDirectory(path) { return try HFDirectory(path: path) }
        let lower = path.lowercased()
        if lower.hasSuffix(".index.json") { return try ShardedSafetensors(indexPath: path) }
        if lower.hasSuffix(".safetensors") { return try SafetensorsFile(path: path) }
        if GGUFFile.isGGUF(path: path) { return try GGUFFile(path: path) }
        if lower.hasSuffix(".bin") || lower.hasSuffix(".pt") || lower.hasSuffix(".pth") { return try TorchCheckpoint(path: path) }
        // Unknown extension: sniff.
        let head = FileSystem.prefix(of: path, count: 4) ?? []
        if head == [0x50, 0x4B, 0x03, 0x04] { return try TorchCheckpoint(path: path) }
        if head.count == 4 { return try SafetensorsFile(path: path) }
        throw FormatError(path, "unrecognised file: expected a folder, .safetensors, .gguf, .bin/.pt or .vlmb")
    }
}
