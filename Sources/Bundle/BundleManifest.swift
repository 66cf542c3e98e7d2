import Kernels
import ModelGraph
import TensorFormats

/// A byte range of the data section: absolute file offset and length.
public struct BundleSection: Sendable, Equatable {
    public var offset: Int
    public var length: Int

    public init(offset: Int, length: Int) {
        self.offset = offset
        self.length = length
    }

    var json: JSONValue { .object([("offset", .int(offset)), ("length", .int(length))]) }
    var end: Int { offset + length }
}

/// One tensor of a bundle (`Formats/vlmb.md` §2.1).
public struct BundleTensorEntry: Sendable, Equatable {
    public var name: String
    public var shape: [Int]
    public var scheme: QuantScheme
    public var role: TensorRole
    public var data: BundleSection
    public var scales: BundleSection?
    public var zeros: BundleSection?
    /// Lowercase hex SHA-256 of data, scales, zeros.
    public var sha256: String

    public var rows: Int { shape.first ?? 1 }
    public var columns: Int { rows == 0 ? 0 : shape.reduce(1, *) / rows }
    public var sections: [BundleSection] { [data] + [scales, zeros].compactMap { $0 } }
    public var byteCount: Int { sections.reduce(0) { $0 + $1.length } }
}

/// An embedded file (tokenizer, configs).
public struct BundleFileEntry: Sendable, Equatable {
    public var name: String
    public var section: BundleSection
    public var sha256: String
}

/// The JSON manifest of a bundle: what the model is and where every tensor and file lies.
public struct BundleManifest: Sendable {
    public var formatVersion: String
    public var generator: String
    public var architecture: ArchitectureKind
    /// `config.json` and `preprocessor_config.json` of the source, verbatim.
    public var config: JSONValue
    public var preprocessorConfig: JSONValue?
    public var head: EmbeddingHead
    public var plan: QuantizationPlan
    public var sourcePath: String
    public var adapterPath: String?
    public var mergedModules: Int
    public var files: [BundleFileEntry]
    public var tensors: [BundleTensorEntry]

    /// The manifest as JSON (key order fixed).
    public func json() -> JSONValue {
        let tensorValues: [JSONValue] = tensors.map { t in
            .object([("name", .string(t.name)), ("shape", .array(t.shape.map { .int($0) })), ("scheme", .string(t.scheme.name)),
                     ("role", .string(t.role.rawValue)), ("data", t.data.json), ("scales", t.scales?.json ?? .null),
                     ("zeros", t.zeros?.json ?? .null), ("sha256", .string(t.sha256))])
        }
        let fileValues: [JSONValue] = files.map { f in
            .object([("name", .string(f.name)), ("offset", .int(f.section.offset)), ("length", .int(f.section.length)), ("sha256", .string(f.sha256))])
        }
        let headJSON: JSONValue = .object([
            ("pooling", .string(head.pooling.rawValue)), ("normalize", .string(head.normalize ? "l2" : "none")),
            ("padding_side", .string(head.paddingSide)), ("image_marker", .string(head.imageMarker)),
            ("bos_per_chunk", .bool(head.bosPerChunk)), ("image_token_index", head.imageTokenIndex.map { .int($0) } ?? .null),
        ])
        let accepts: [JSONValue] = architecture == .llavaNext ? [.string("<|image_1|>")] : []
        return .object([
            ("format", .string("vlmb")),
            ("format_version", .string(formatVersion)),
            ("generator", .string(generator)),
            ("architecture", .string(architecture.rawValue)),
            ("config", config),
            ("preprocessor_config", preprocessorConfig ?? .null),
            ("embedding_head", headJSON),
            ("prompt", .object([("image_marker", .string(head.imageMarker)), ("accepts", .array(accepts))])),
            ("quantization", .object([("decoder", .string(plan.decoder.name)), ("vision", .string(plan.vision.name)), ("other", .string("source")),
                                      ("int4_inputs", .string(plan.int4Inputs.rawValue)), ("int4_method", .string(plan.int4Method.rawValue))])),
            ("source", .object([("path", .string(sourcePath)), ("adapter", adapterPath.map { .string($0) } ?? .null), ("merged_modules", .int(mergedModules))])),
            ("files", .array(fileValues)),
            ("tensors", .array(tensorValues)),
        ])
    }

    /// Reads a manifest; every problem is an error naming `path` and the offending entry.
    public init(json root: JSONValue, path: String) throws {
        func fail(_ problem: String) -> FormatError { FormatError(path, "manifest: \(problem)") }
        guard root["format"]?.stringValue == "vlmb" else { throw fail("'format' is not \"vlmb\"") }
        guard let version = root["format_version"]?.stringValue else { throw fail("no 'format_version'") }
        formatVersion = version
        generator = root["generator"]?.stringValue ?? "?"
        guard let archName = root["architecture"]?.stringValue, let arch = ArchitectureKind(rawValue: archName) else {
            throw fail("unknown architecture '\(root["architecture"]?.stringValue ?? "none")' (supported: \(ArchitectureKind.allCases.map { $0.rawValue }.joined(separator: ", ")))")
        }
        architecture = arch
        guard let config = root["config"], config.objectValue != nil else { throw fail("no 'config' object") }
        self.config = config
        if let p = root["preprocessor_config"], p != .null { preprocessorConfig = p }
        guard let h = root["embedding_head"] else { throw fail("no 'embedding_head'") }
        guard h["pooling"]?.stringValue.flatMap(EmbeddingHead.Pooling.init(rawValue:)) == .lastToken else {
            throw fail("embedding_head.pooling '\(h["pooling"]?.stringValue ?? "")' is not supported (last_token)")
        }
        head = EmbeddingHead(pooling: .lastToken, normalize: h["normalize"]?.stringValue == "l2",
                             paddingSide: h["padding_side"]?.stringValue ?? "right", imageMarker: h["image_marker"]?.stringValue ?? "",
                             bosPerChunk: h["bos_per_chunk"]?.boolValue ?? false, imageTokenIndex: h["image_token_index"]?.intValue)
        let q = root["quantization"]
        var inputs = Int4Inputs.int16
        if let v = q?["int4_inputs"], v != .null {
            guard let name = v.stringValue, let parsed = Int4Inputs(rawValue: name) else {
                throw fail("quantization.int4_inputs '\(v.stringValue ?? "?")' is not one of \(Int4Inputs.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            inputs = parsed
        }
        var method = Int4Method.roundToNearest
        if let v = q?["int4_method"], v != .null {
            guard let name = v.stringValue, let parsed = Int4Method(rawValue: name) else {
                throw fail("quantization.int4_method '\(v.stringValue ?? "?")' is not one of \(Int4Method.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            method = parsed
        }
        plan = QuantizationPlan(decoder: q?["decoder"]?.stringValue.flatMap(QuantScheme.init(name:)) ?? .f32,
                                vision: q?["vision"]?.stringValue.flatMap(QuantScheme.init(name:)) ?? .f32, int4Inputs: inputs, int4Method: method)
        sourcePath = root["source"]?["path"]?.stringValue ?? ""
        adapterPath = root["source"]?["adapter"]?.stringValue
        mergedModules = root["source"]?["merged_modules"]?.intValue ?? 0

        func section(_ v: JSONValue?, _ what: String) throws -> BundleSection? {
            guard let v, v != .null else { return nil }
            guard let o = v["offset"]?.intValue, let l = v["length"]?.intValue, o >= 0, l >= 0 else { throw fail("\(what): bad offset/length") }
            _ = try Checked.add(o, l, file: path, "manifest: \(what) offset+length")
            return BundleSection(offset: o, length: l)
        }
        files = try (root["files"]?.arrayValue ?? []).map { f in
            guard let name = f["name"]?.stringValue, let sha = f["sha256"]?.stringValue, sha.count == 64,
                  let o = f["offset"]?.intValue, let l = f["length"]?.intValue, o >= 0, l >= 0 else { throw fail("a file entry lacks name/offset/length/sha256") }
            _ = try Checked.add(o, l, file: path, "manifest: file '\(name)' offset+length")
            return BundleFileEntry(name: name, section: BundleSection(offset: o, length: l), sha256: sha)
        }
        guard let tensorList = root["tensors"]?.arrayValue else { throw fail("no 'tensors' array") }
        tensors = try tensorList.map { t in
            guard let name = t["name"]?.stringValue else { throw fail("a tensor entry has no name") }
            guard let dims = t["shape"]?.arrayValue?.map({ $0.intValue }), !dims.contains(nil) else { throw fail("tensor '\(name)': bad shape") }
            let shape = dims.compactMap { $0 }
            guard shape.allSatisfy({ $0 >= 0 }) else { throw fail("tensor '\(name)': negative dimension") }
            _ = try Checked.product(of: shape, file: path, "manifest: tensor '\(name)' shape")
            guard let schemeName = t["scheme"]?.stringValue, let scheme = QuantScheme(name: schemeName) else {
                throw fail("tensor '\(name)': unknown storage scheme '\(t["scheme"]?.stringValue ?? "")' (written by a newer vlmembed?)")
            }
            guard let data = try section(t["data"], "tensor '\(name)' data") else { throw fail("tensor '\(name)' has no data section") }
            guard let sha = t["sha256"]?.stringValue, sha.count == 64 else { throw fail("tensor '\(name)': bad sha256") }
            return BundleTensorEntry(name: name, shape: shape, scheme: scheme,
                                     role: t["role"]?.stringValue.flatMap(TensorRole.init(rawValue:)) ?? .other,
                                     data: data, scales: try section(t["scales"], "tensor '\(name)' scales"),
                                     zeros: try section(t["zeros"], "tensor '\(name)' zeros"), sha256: sha)
        }
    }

    public init(formatVersion: String, generator: String, architecture: ArchitectureKind, config: JSONValue, preprocessorConfig: JSONValue?,
                head: EmbeddingHead, plan: QuantizationPlan, sourcePath: String, adapterPath: String?, mergedModules: Int,
                files: [BundleFileEntry], tensors: [BundleTensorEntry]) {
        self.formatVersion = formatVersion
        self.generator = generator
        self.architecture = architecture
        self.config = config
        self.preprocessorConfig = preprocessorConfig
        self.head = head
        self.plan = plan
        self.sourcePath = sourcePath
        self.adapterPath = adapterPath
        self.mergedModules = mergedModules
        self.files = files
        self.tensors = tensors
    }
}
