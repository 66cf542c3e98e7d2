/// A PyTorch checkpoint written by `torch.save` (the zip format, PyTorch ≥ 1.6): `pytorch_model.bin`,
/// `adapter_model.bin`, `*.pt`.
///
/// Opening maps the file, reads the zip directory and unpickles `<prefix>/data.pkl` with
/// `RestrictedUnpickler`, which never executes anything and refuses every global except the
/// tensor-rebuild helpers. Nested dicts are flattened into dotted names (`a.b.c`); tensors keep
/// pickle order. Contiguous tensors are zero-copy views of the mapped file; strided views are
/// gathered into contiguous order when read.
///
/// ```swift
/// let ckpt = try TorchCheckpoint(path: "adapter_model.bin")
/// for t in ckpt.tensors { print(t.name, t.shape, t.encoding.name) }
/// let w = try ckpt.tensorData(named: "base_model.model.lm_head.weight")
/// ```
public struct TorchCheckpoint: TensorSource {
    /// The file as opened.
    public let path: String
    public var formatName: String { "pytorch" }
    /// PyTorch checkpoints do not declare an architecture.
    public var architecture: String? { nil }
    /// Every tensor, in pickle order, with dotted names.
    public let tensors: [TensorDescriptor]
    /// The unpickled top-level object (tensors appear as `.tensor`).
    public let root: PickleValue
    /// Leaves that are not tensors (ints, strings, lists, `None`, ...), by dotted name, in pickle order.
    public let otherValues: [(name: String, value: PickleValue)]
    /// The archive's top-level folder (e.g. `archive`), without a trailing slash.
    public let archivePrefix: String
    /// The zip directory.
    public let archive: ZipArchive
    private let views: [TorchTensor]
    private let index: [String: Int]

    /// Opens a `torch.save` zip checkpoint.
    public init(path: String) throws {
        let file = try MappedFile(path: path)
        try self.init(file: file)
    }

    /// Reads a checkpoint from an already mapped file.
    public init(file: MappedFile) throws {
        let path = file.path
        self.path = path
        if TorchCheckpoint.isLegacyPickle(file.bytes) {
            throw FormatError(path, "legacy (pre-1.6, non-zip) PyTorch checkpoint format is not supported; re-save it with a current torch.save or convert it to safetensors")
        }
        let zip: ZipArchive
        do {
            zip = try ZipArchive(file: file)
        } catch let e as FormatError where !file.bytes.starts(with: [0x50, 0x4B]) {
            throw FormatError(path, "not a PyTorch checkpoint (neither a zip archive nor a pickle): \(e.problem)")
        }
        archive = zip
        guard let pkl = TorchCheckpoint.findDataPickle(zip) else {
            throw FormatError(path, "zip archive has no data.pkl: not a PyTorch checkpoint")
        }
        let prefix = String(pkl.name.dropLast("data.pkl".count))
        archivePrefix = prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix

        if let order = zip.entry(named: prefix + "byteorder") {
            var text = Substring(String(decoding: try zip.contents(of: order), as: UTF8.self))
            while let last = text.last, last == "\n" || last == " " { text = text.dropLast() }
            switch text {
            case "little": break
            case "big": throw FormatError(path, "checkpoint was saved on a big-endian machine (byteorder \"big\"); only little-endian checkpoints are supported")
            default: throw FormatError(path, "unknown byteorder record \"\(AllowedGlobal.printable(String(text.prefix(40))))\"")
            }
        }

        let root = try RestrictedUnpickler(file: path).unpickle(try zip.contents(of: pkl))
        self.root = root
        guard case .dict = root else {
            throw FormatError(path, "checkpoint holds a \(root.kindName), expected a dict of tensors")
        }
        var flat = Flattener(file: path)
        try flat.walk(root, prefix: "")

        var descriptors: [TensorDescriptor] = []
        var index: [String: Int] = [:]
        for (name, t) in flat.tensors {
            guard index[name] == nil else { throw FormatError(path, "two tensors are named \(name)") }
            let blobName = prefix + "data/" + t.storage.key
            guard let blob = zip.entry(named: blobName) else {
                throw FormatError(path, "tensor \(name): storage record \(blobName) is not found in the archive")
            }
            guard blob.uncompressedSize == t.storage.byteCount else {
                throw FormatError(path, "tensor \(name): storage \(blobName) holds \(blob.uncompressedSize) bytes, but its \(t.storage.elementCount) elements need \(t.storage.byteCount)")
            }
            index[name] = descriptors.count
            descriptors.append(TensorDescriptor(name: name, shape: t.shape, encoding: .dense(t.dtype)))
        }
        tensors = descriptors
        views = flat.tensors.map(\.1)
        self.index = index
        otherValues = flat.others
    }

    /// The bytes of one tensor, little-endian, contiguous row-major. Zero-copy for contiguous tensors.
    public func tensorData(named name: String) throws -> TensorData {
        guard let i = index[name] else { throw FormatError(path, "no tensor named \(name)") }
        let t = views[i]
        let descriptor = tensors[i]
        let blob = try archive.contents(of: try blobEntry(t))
        let size = t.dtype.byteSize
        if t.isContiguous {
            let start = t.storageOffset * size
            let bytes = UnsafeRawBufferPointer(rebasing: blob[start..<(start + descriptor.byteCount)])
            return TensorData(descriptor: descriptor, bytes: bytes, owner: archive.file)
        }
        // Zero or overlapping strides can describe far more elements than the storage holds.
        let limit = max(blob.count, TorchCheckpoint.maxExpandedBytes)
        guard descriptor.byteCount <= limit else {
            throw FormatError(path, "tensor \(name): strided view expands \(blob.count) storage bytes to \(descriptor.byteCount) bytes; refusing to materialize more than \(limit)")
        }
        let copy = StridedCopy.gather(blob, elementSize: size, offset: t.storageOffset, shape: t.shape, strides: t.strides)
        return TensorData(descriptor: descriptor, owning: copy)
    }

    /// Largest copy made for a strided view whose elements outnumber its storage's (1 GiB).
    public static let maxExpandedBytes = 1 << 30

    /// The unpickled description of one tensor (storage key, offset, strides), if present.
    public func torchTensor(named name: String) -> TorchTensor? {
        index[name].map { views[$0] }
    }

    private func blobEntry(_ t: TorchTensor) throws -> ZipEntry {
        let name = archivePrefix + (archivePrefix.isEmpty ? "" : "/") + "data/" + t.storage.key
        guard let e = archive.entry(named: name) else { throw FormatError(path, "storage record \(name) is not found in the archive") }
        return e
    }

    /// `data.pkl` at the top level or one folder down (`<prefix>/data.pkl`).
    static func findDataPickle(_ zip: ZipArchive) -> ZipEntry? {
        zip.entries.first { e in
            e.name == "data.pkl" || (e.name.hasSuffix("/data.pkl") && e.name.dropLast("/data.pkl".count).allSatisfy { $0 != "/" } && e.name.count > "/data.pkl".count)
        }
    }

    /// Legacy `torch.save` output starts with a pickled magic number (`PROTO 2, LONG1 ...`)
    /// rather than a zip local header.
    static func isLegacyPickle(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x80 && bytes[1] <= 5
    }
}

/// Flattens nested dicts into dotted names, separating tensors from other leaves.
struct Flattener {
    let file: String
    var tensors: [(String, TorchTensor)] = []
    var others: [(name: String, value: PickleValue)] = []

    mutating func walk(_ v: PickleValue, prefix: String) throws {
        guard case .dict(let d) = v else { return }
        for entry in d.entries {
            let key: String
            switch entry.key {
            case .string(let s): key = s
            case .int(let i): key = String(i)
            default:
                throw FormatError(file, "dict key of type \(entry.key.kindName) under \"\(prefix)\" is not supported; expected string keys")
            }
            let name = prefix.isEmpty ? key : prefix + "." + key
            switch entry.value {
            case .tensor(let t): tensors.append((name, t))
            case .dict: try walk(entry.value, prefix: name)
            default: others.append((name: name, value: entry.value))
            }
        }
    }
}
