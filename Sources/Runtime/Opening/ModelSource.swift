import Bundle
import ModelGraph
import TensorFormats

/// Opens whatever `--model` names — a Hugging Face model folder or a `.vlmb` bundle — as an
/// embedding graph (adapter merged, embedding head attached).
public enum ModelSource {
    /// True when `path` is a bundle (by its magic, else by its extension).
    public static func isBundle(_ path: String) -> Bool {
        path.hasSuffix(".vlmb") || FileSystem.prefix(of: path, count: 8) == BundleHeader.magic
    }

    /// The embedding graph of a folder, a GGUF (with its `clip` mmproj for images) or a bundle.
    /// A bundle already holds its merged adapter and its vision tower, so `adapter` and `mmproj`
    /// must be nil for one.
    public static func openEmbeddingGraph(_ path: String, adapter: String? = nil, mmproj: String? = nil) throws -> (ModelGraph, [AdapterMergeRecord]) {
        if isBundle(path) {
            try refuseAdditions(to: ModelSpec(path: path, adapter: adapter, mmproj: mmproj))
            return (try BundleFile(path: path).graph(), [])
        }
        return try ModelGraph.loadEmbeddingGraph(source: path, adapter: adapter, mmproj: mmproj)
    }

    /// A bundle already holds its merged adapter and its vision tower: refuses either given again.
    public static func refuseAdditions(to spec: ModelSpec) throws {
        if let adapter = spec.adapter {
            throw FormatError(adapter, "cannot apply an adapter to a bundle (\(spec.path)): convert the source with --adapter instead")
        }
        if let mmproj = spec.mmproj {
            throw FormatError(mmproj, "cannot add an mmproj to a bundle (\(spec.path)): convert the GGUF with --mmproj instead")
        }
    }
}
