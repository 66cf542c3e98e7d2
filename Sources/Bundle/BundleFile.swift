import Kernels
import Synchronization
import ModelGraph
import TensorFormats

/// An open `.vlmb` bundle: the file is memory-mapped, the header and manifest are parsed and
/// every section is checked for bounds, alignment, size and overlap — work that does not grow with
/// the model's size. Checksums are checked by `verifyChecksums()`.
public final class BundleFile: @unchecked Sendable {
    public let path: String
    public let header: BundleHeader
    public let manifest: BundleManifest
    private let file: MappedFile
    private let tensorIndex: [String: Int]

    public init(path: String) throws {
        self.path = path
        file = try MappedFile(path: path)
        let bytes = file.bytes
        header = try BundleHeader.decode(bytes, path: path)
        let manifestRange = Int(header.manifestOffset)..<Int(header.manifestOffset + header.manifestLength)
        let manifestBytes = file.slice(manifestRange)
        var digest = SHA256()
        digest.update(manifestBytes)
        guard digest.finalize() == header.manifestSHA256 else { throw FormatError(path, "manifest checksum mismatch (the bundle is corrupt)") }
        let json: JSONValue
        do { json = try JSONParser.parse(manifestBytes) } catch { throw FormatError(path, "manifest is not valid JSON: \(error)") }
        manifest = try BundleManifest(json: json, path: path)
        guard manifest.formatVersion == "\(header.major).\(header.minor)" else {
            throw FormatError(path, "manifest says format \(manifest.formatVersion), header says \(header.major).\(header.minor)")
        }
        var index: [String: Int] = [:]
        for (i, t) in manifest.tensors.enumerated() {
            guard index.updateValue(i, forKey: t.name) == nil else { throw FormatError(path, "tensor '\(t.name)' appears twice in the manifest") }
        }
        tensorIndex = index
        try BundleFile.checkLayout(manifest, header: header, path: path)
        try checkScalesFinite()
    }

    /// Every int8/int4 scale is finite (a NaN or infinite scale would turn embeddings into NaN);
    /// scales are a small fraction of a bundle, so this costs little at open.
    private func checkScalesFinite() throws {
        for t in manifest.tensors {
            guard let section = t.scales else { continue }
            let raw = bytes(section)
            switch t.scheme {
            case .int8:
                for i in 0..<(raw.count / 4) where (raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self).littleEndian >> 23) & 0xFF == 0xFF {
                    throw FormatError(path, "tensor '\(t.name)': scale \(i) is not finite (NaN or infinity)")
                }
            case .int4:
                for i in 0..<(raw.count / 2) where (raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian >> 10) & 0x1F == 0x1F {
                    throw FormatError(path, "tensor '\(t.name)': scale \(i) is not finite (NaN or infinity)")
                }
            case .f32, .f16, .bf16:
                continue
            }
        }
    }

    /// Sections inside the data section, aligned, sized as their scheme requires, not overlapping.
    private static func checkLayout(_ m: BundleManifest, header: BundleHeader, path: String) throws {
        let lo = Int(header.dataOffset), hi = Int(header.fileLength)
        var all: [(BundleSection, String)] = m.files.map { ($0.section, "file '\($0.name)'") }
        for t in m.tensors {
            guard let sizes = WeightQuantizer.checkedSectionSizes(rows: t.rows, columns: t.columns, scheme: t.scheme) else {
                throw FormatError(path, "tensor '\(t.name)' (\(t.scheme.name), shape \(t.shape)): section sizes overflow a 64-bit integer")
            }
            let expected = [("data", sizes.data, t.data as BundleSection?), ("scales", sizes.scales, t.scales), ("zeros", sizes.zeros, t.zeros)]
            for (what, size, section) in expected {
                guard (section?.length ?? 0) == size, (size == 0) == (section == nil) || what == "data" else {
                    throw FormatError(path, "tensor '\(t.name)' (\(t.scheme.name), shape \(t.shape)): \(what) section is \(section?.length ?? 0) bytes, expected \(size)")
                }
                if let section { all.append((section, "tensor '\(t.name)' \(what)")) }
            }
        }
        for (s, what) in all {
            guard s.offset % BundleHeader.alignment == 0 else { throw FormatError(path, "\(what) at offset \(s.offset) is not \(BundleHeader.alignment)-byte aligned") }
            guard s.offset >= lo, s.end <= hi else { throw FormatError(path, "\(what) (\(s.offset)+\(s.length)) lies outside the data section \(lo)..<\(hi)") }
        }
        let sorted = all.sorted { $0.0.offset < $1.0.offset }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.0.end > b.0.offset {
            throw FormatError(path, "\(a.1) overlaps \(b.1)")
        }
    }

    /// The bytes of a section (validated on open).
    public func bytes(_ s: BundleSection) -> UnsafeRawBufferPointer { file.slice(s.offset..<s.end) }

    /// The manifest entry of a tensor.
    public func entry(_ name: String) -> BundleTensorEntry? { tensorIndex[name].map { manifest.tensors[$0] } }

    /// An embedded file's bytes, or nil (no check: `verifiedEmbeddedFile` checks the digest).
    public func embeddedFile(_ name: String) -> [UInt8]? {
        manifest.files.first { $0.name == name }.map { [UInt8](bytes($0.section)) }
    }

    /// An embedded file's bytes after checking them against the manifest's SHA-256, or nil when
    /// the bundle has no such file; a mismatch is an error naming the file (tampering shows as a
    /// checksum failure, before any parser sees the bytes).
    public func verifiedEmbeddedFile(_ name: String) throws -> [UInt8]? {
        guard let entry = manifest.files.first(where: { $0.name == name }) else { return nil }
        let b = [UInt8](bytes(entry.section))
        guard SHA256.hex(b) == entry.sha256.lowercased() else {
            throw FormatError(path, "embedded file '\(name)' does not match its manifest SHA-256 (the bundle is corrupt or was edited)")
        }
        return b
    }

    /// Hashes every tensor and file and returns the names whose SHA-256 differs from the manifest
    /// (in manifest order); `progress` gets bytes hashed so far and the total.
    public func verifyChecksums(progress: ((Int, Int) -> Void)? = nil) -> [String] {
        let items: [(String, [BundleSection], String)] = manifest.files.map { ("file '\($0.name)'", [$0.section], $0.sha256) }
            + manifest.tensors.map { ("tensor '\($0.name)'", $0.sections, $0.sha256) }
        let total = items.reduce(0) { $0 + $1.1.reduce(0) { $0 + $1.length } }
        let ok = UnsafeMutableBufferPointer<Bool>.allocate(capacity: max(items.count, 1))
        ok.initialize(repeating: true)
        defer { ok.deallocate() }
        let results = UncheckedSendable(ok)
        let done = Mutex(0)
        Parallel.forEach(items.count) { i in
            var h = SHA256()
            for s in items[i].1 { h.update(self.bytes(s)) }
            results.value[i] = SHA256.hexEncoded(h.finalize()) == items[i].2
            let length = items[i].1.reduce(0) { $0 + $1.length }
            let sofar = done.withLock { $0 += length; return $0 }
            progress?(sofar, total)
        }
        return items.indices.filter { !ok[$0] }.map { items[$0].0 }
    }
}
