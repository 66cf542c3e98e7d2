import ModelGraph
import TensorFormats

/// Opens whatever `--model` names — a Hugging Face model folder or a `.vlmb` bundle — as an
/// embedding graph (adapter merged, embedding head attached).
public enum ModelSource {
    /// True when `path` is a bundle (by its magic, else by its extension).
    public static func isBundle(_ path: String) -> Bool {
        path.hasSuffix(".vlmb") || FileSystem.prefix(of: path, count: 8) == BundleHeader.magic
    }

    /// The embedding graph of a folder or bundle. A bundle already holds its merged adapter, so
    /// `adapter` must be nil for one.
    public static func openEmbeddingGraph(_ path: String, adapter: String? = nil) throws -> (ModelGraph, [AdapterMergeRecord]) {
        if isBundle(path) {
            if let adapter { throw FormatError(adapter, "cannot apply an adapter to a bundle (\(path)): convert the source with --adapter instead") }
            return (try BundleFile(path: path).graph(), [])
        }
        return try ModelGraph.loadEmbeddingGraph(directory: path, adapter: adapter)
    }
}
