import Foundation
import Bundle
import TensorFormats

/// Builds small `.vlmb` files by hand — a manifest JSON and data bytes — with a correct header and
/// manifest checksum, as anyone can (the spec allows recomputing it), for hostile-number tests.
enum HostileBundle {
    static func path(_ name: String) -> String {
        let dir = NSTemporaryDirectory() + "vlmembed-hostile-bundle-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir + "/" + name
    }

    /// A phi3 text config with `overrides` applied (values as JSON text).
    static func phi3Config(_ overrides: [String: String] = [:]) -> String {
        var fields: [(String, String)] = [("architectures", "[\"Phi3ForCausalLM\"]"), ("model_type", "\"phi3\""), ("hidden_size", "64"),
                                          ("intermediate_size", "128"), ("num_hidden_layers", "1"), ("num_attention_heads", "4"),
                                          ("num_key_value_heads", "4"), ("vocab_size", "100"), ("max_position_embeddings", "512")]
        for (k, v) in overrides {
            if let i = fields.firstIndex(where: { $0.0 == k }) { fields[i].1 = v } else { fields.append((k, v)) }
        }
        return "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    /// A manifest with `tensors` (JSON array text) and `files` (JSON array text).
    static func manifest(config: String = phi3Config(), tensors: String = "[]", files: String = "[]",
                         version: String = "\(BundleHeader.currentMajor).\(BundleHeader.currentMinor)", extra: String = "") -> String {
        """
        {"format":"vlmb","format_version":"\(version)","architecture":"phi3","config":\(config),"preprocessor_config":null,\(extra)\
        "embedding_head":{"pooling":"last_token","normalize":"l2","padding_side":"right","image_marker":"","bos_per_chunk":false},\
        "files":\(files),"tensors":\(tensors)}
        """
    }

    /// Offset of the data section for a manifest of `length` bytes.
    static func dataOffset(manifestLength: Int) -> Int { (BundleHeader.size + manifestLength + 63) / 64 * 64 }

    /// Writes header + manifest + `data` (placed at the data offset); returns the path.
    @discardableResult
    static func write(_ name: String, manifest: String, data: [UInt8] = [], header change: ((inout BundleHeader) -> Void)? = nil) throws -> String {
        let m = Array(manifest.utf8)
        let offset = dataOffset(manifestLength: m.count)
        var h = BundleHeader(manifestLength: UInt64(m.count), dataOffset: UInt64(offset), fileLength: UInt64(offset + data.count),
                             manifestSHA256: { var d = SHA256(); d.update(m); return d.finalize() }())
        change?(&h)
        var bytes = h.encoded() + m
        bytes += [UInt8](repeating: 0, count: offset - bytes.count) + data
        let p = path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }

    /// The one-line error opening `path` gives (or "opened").
    static func openError(_ path: String) -> String {
        do { _ = try BundleFile(path: path); return "opened" } catch { return "\(error)" }
    }
}
