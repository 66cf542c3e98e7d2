import Foundation
import TensorFormats

/// The identity of a source model folder for cache keys: SHA-256 over a canonical listing of
///
/// - every regular, non-hidden file in the model folder and the adapter folder, by name: files up
///   to 16 MiB (configs, tokenizer, preprocessor, adapters, small checkpoints) by their whole
///   content; larger files (weight shards) by size plus their first and last MiB, which holds the
///   safetensors/GGUF header and a slice of the tensor data;
/// - the settings that change embeddings (backbone, crops, image resolution);
/// - `engineVersion`, bumped whenever the forward pass or preprocessing changes numerically.
///
/// Weight shards are sampled rather than read whole so that opening a 15 GB model costs
/// milliseconds: a retrained model changes every sampled byte, but an in-place edit confined to the
/// middle of a shard with unchanged size would go unnoticed (use `--no-cache` or a fresh `--cache`).
public enum ModelFingerprint {
    /// Bump when embeddings of the same inputs change (numerics, preprocessing).
    public static let engineVersion = "vlmembed-eval-1"
    /// Files larger than this are sampled.
    public static let wholeFileLimit = 16 << 20
    /// Bytes hashed at each end of a sampled file.
    public static let sampleBytes = 1 << 20

    /// The hex identity of a model folder, an optional adapter folder and the settings.
    /// A model given as a single file (a GGUF) and its companion `mmproj` are listed as files.
    public static func identity(modelDirectory: String, adapter: String?, mmproj: String? = nil, settings: String) throws -> String {
        var listing = "\(engineVersion)\nsettings \(settings)\n"
        if FileSystem.isFile(modelDirectory) {
            listing += "model \(try fileDigest(modelDirectory))\n"
        } else {
            listing += try folderListing(modelDirectory, label: "model")
        }
        if let mmproj { listing += "mmproj \(try fileDigest(mmproj))\n" }
        if let adapter { listing += try folderListing(adapter, label: "adapter") }
        var digest = SHA256()
        digest.update(Array(listing.utf8))
        return SHA256.hex(digest.finalize())
    }

    static func folderListing(_ directory: String, label: String) throws -> String {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw FormatError(directory, "cannot list the folder: \(error.localizedDescription)")
        }
        var out = ""
        for name in names.sorted() where !name.hasPrefix(".") {
            let path = directory + "/" + name
            guard FileSystem.isFile(path) else { continue }
            out += "\(label) \(name) \(try fileDigest(path))\n"
        }
        return out
    }

    /// `size:sha256` of the whole file, or of its size and end samples when large.
    static func fileDigest(_ path: String) throws -> String {
        let file = try MappedFile(path: path)
        return withExtendedLifetime(file) {
            var digest = SHA256()
            let bytes = file.bytes
            if bytes.count <= wholeFileLimit {
                digest.update(bytes)
                return "\(bytes.count):" + SHA256.hex(digest.finalize())
            }
            digest.update(UnsafeRawBufferPointer(rebasing: bytes[0..<sampleBytes]))
            digest.update(UnsafeRawBufferPointer(rebasing: bytes[(bytes.count - sampleBytes)...]))
            return "\(bytes.count):sampled:" + SHA256.hex(digest.finalize())
        }
    }
}
