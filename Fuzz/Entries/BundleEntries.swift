import Bundle
import ModelGraph
import Models
import Preprocessing
import TensorFormats

/// `.vlmb` bundles: header, manifest and layout (`BundleFile`), checksums (`verify`), the graph,
/// the embedded tokenizer and the forward model (`embed`), and the `inspect` report.
enum BundleEntries {
    /// The manifest checksum is recomputed before opening (anyone can, the spec says so), so
    /// mutations of the manifest reach the manifest parser instead of stopping at the checksum.
    /// The header's file length is set to the input's length for the same reason.
    static let bundle: FuzzEntries.Entry = { bytes in
        var file = [UInt8](bytes)
        fixUp(&file)
        try file.withUnsafeBytes { fixed in
            try Scratch.with([("model.vlmb", fixed)]) { dir in
                let bundle = try BundleFile(path: dir + "/model.vlmb")
                _ = BundleReport(bundle: bundle).text
                _ = bundle.verifyChecksums()
                let graph = try bundle.graph()
                _ = try Tokenizer.load(origin: graph.files.origin, file: graph.files.bytes)
                _ = try EmbeddingModels.make(graph)
            }
        }
    }

    /// Sets the header's file length to the real length and its manifest SHA-256 to the hash of
    /// the manifest bytes it points at (when they lie inside the input).
    static func fixUp(_ file: inout [UInt8]) {
        guard file.count >= BundleHeader.size else { return }
        func u64(_ o: Int) -> UInt64 { file[o..<(o + 8)].reversed().reduce(0) { $0 << 8 | UInt64($1) } }
        func put(_ v: UInt64, _ o: Int) { for i in 0..<8 { file[o + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) } }
        put(UInt64(file.count), 40)
        let offset = u64(16), length = u64(24)
        guard offset <= UInt64(file.count), length <= UInt64(file.count) - offset else { return }
        var digest = SHA256()
        file.withUnsafeBytes { digest.update(UnsafeRawBufferPointer(rebasing: $0[Int(offset)..<Int(offset + length)])) }
        let sum = digest.finalize()
        file.replaceSubrange(48..<80, with: sum)
    }
}
