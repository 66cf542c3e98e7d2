import Foundation
import TensorFormats

/// What one `--shard i/n` run writes: its rows' picks per dataset, with everything `--merge` needs
/// to check that the shards belong together (same models, same data files, same `--limit`, every
/// shard exactly once) and to rebuild the unsharded report exactly.
public struct PartialResult: Sendable, Equatable {
    public static let format = "vlmembed-eval-partial"
    public static let version = 1

    public var shard: ShardSpec
    public var model: ModelDescriptor
    public var compareModel: ModelDescriptor?
    public var limit: Int?
    public var datasets: [DatasetPredictions]

    public init(shard: ShardSpec, model: ModelDescriptor, compareModel: ModelDescriptor?, limit: Int?, datasets: [DatasetPredictions]) {
        self.shard = shard
        self.model = model
        self.compareModel = compareModel
        self.limit = limit
        self.datasets = datasets
    }

    /// The file name a shard writes into an output folder.
    public static func fileName(for shard: ShardSpec) -> String {
        "eval-shard-\(shard.index)-of-\(shard.count).json"
    }

    public func json() -> JSONValue {
        func ints(_ xs: [Int]) -> JSONValue { .array(xs.map { .int($0) }) }
        var fields: [(String, JSONValue)] = [
            ("format", .string(Self.format)), ("version", .int(Self.version)),
            ("shard", .object([("index", .int(shard.index)), ("count", .int(shard.count))])),
            ("model", EvalReport.json(model)),
        ]
        if let compareModel { fields.append(("compare_model", EvalReport.json(compareModel))) }
        fields.append(("limit", limit.map { .int($0) } ?? .null))
        fields.append(("datasets", .array(datasets.map { d in
            var o: [(String, JSONValue)] = [
                ("name", .string(d.name)), ("meta_task", .string(d.info.metaTask.rawValue)), ("split", .string(d.info.split.rawValue)),
                ("file_sha256", .string(d.fileSHA256)), ("selected_rows", .int(d.selectedRows)),
                ("lines", ints(d.lines)), ("top", ints(d.top)),
            ]
            if let c = d.compareTop { o.append(("compare_top", ints(c))) }
            o.append(("skipped_lines", ints(d.skippedLines)))
            return .object(o)
        })))
        return .object(fields)
    }

    /// Writes the partial result atomically.
    public func write(to path: String) throws {
        let out = try AtomicFileWriter(destination: path)
        try out.write(Array((json().serialized() + "\n").utf8))
        try out.commit()
    }

    /// Reads a partial result; errors name the file.
    public static func read(_ path: String) throws -> PartialResult {
        let json = try JSONParser.parse(contentsOf: path)
        func fail(_ problem: String) -> FormatError { FormatError(path, problem) }
        guard json["format"]?.stringValue == format else { throw fail("not a vlmembed eval partial result") }
        guard json["version"]?.intValue == version else { throw fail("unsupported partial result version \(json["version"]?.intValue ?? -1)") }
        guard let i = json["shard"]?["index"]?.intValue, let n = json["shard"]?["count"]?.intValue,
              let shard = try? ShardSpec(index: i, count: n) else {
            throw fail("bad \"shard\" \(json["shard"].map { $0.serialized() } ?? "(missing)") (need 0 ≤ index < count ≤ \(InputLimits.maxShards))")
        }
        func model(_ v: JSONValue?) throws -> ModelDescriptor {
            guard let b = v?["backbone"]?.stringValue, let id = v?["identity"]?.stringValue else { throw fail("bad model description") }
            return ModelDescriptor(backbone: b, identity: id)
        }
        func ints(_ v: JSONValue?, _ what: String) throws -> [Int] {
            guard let a = v?.arrayValue else { throw fail("\(what) must be a list of integers") }
            return try a.map { guard let x = $0.intValue else { throw fail("\(what) must be a list of integers") }; return x }
        }
        var datasets: [DatasetPredictions] = []
        for d in json["datasets"]?.arrayValue ?? [] {
            guard let name = d["name"]?.stringValue,
                  let task = d["meta_task"]?.stringValue.flatMap(MetaTask.init(rawValue:)),
                  let split = d["split"]?.stringValue.flatMap(DatasetSplit.init(rawValue:)),
                  let sha = d["file_sha256"]?.stringValue, let selected = d["selected_rows"]?.intValue else {
                throw fail("bad dataset entry")
            }
            let lines = try ints(d["lines"], "lines"), top = try ints(d["top"], "top")
            let compareTop = try d["compare_top"].map { try ints($0, "compare_top") }
            guard top.count == lines.count, compareTop.map({ $0.count == lines.count }) ?? true else {
                throw fail("dataset \(name): as many picks as lines expected")
            }
            datasets.append(DatasetPredictions(
                info: DatasetInfo(name: name, metaTask: task, split: split),
                fileSHA256: sha, selectedRows: selected, lines: lines, top: top, compareTop: compareTop,
                skippedLines: try ints(d["skipped_lines"], "skipped_lines")))
        }
        let limit: Int? = json["limit"]?.intValue
        return PartialResult(shard: shard, model: try model(json["model"]),
                             compareModel: try json["compare_model"].map { try model($0) }, limit: limit, datasets: datasets)
    }

    /// The partial-result files named by `paths`: files as given, folders by their `eval-shard-*.json`.
    public static func files(in paths: [String]) throws -> [String] {
        var files: [String] = []
        for p in paths {
            if FileSystem.isDirectory(p) {
                let names = ((try? FileManager.default.contentsOfDirectory(atPath: p)) ?? [])
                    .filter { $0.hasPrefix("eval-shard-") && $0.hasSuffix(".json") }.sorted()
                guard !names.isEmpty else { throw FormatError(p, "no eval-shard-*.json partial results in the folder") }
                files += names.map { p + "/" + $0 }
            } else if FileSystem.isFile(p) {
                files.append(p)
            } else {
                throw FormatError(p, "no such file or folder")
            }
        }
        return files
    }

    /// Combines the partial results of shards 0…n−1 into the unsharded predictions.
    public static func merge(_ parts: [(path: String, result: PartialResult)]) throws -> (model: ModelDescriptor, compare: ModelDescriptor?, predictions: [DatasetPredictions]) {
        guard let (firstPath, first) = parts.first else { throw FormatError("--merge", "no partial results given") }
        let n = first.shard.count
        var byIndex: [Int: String] = [:]
        for (path, part) in parts {
            func mismatch(_ what: String) -> FormatError { FormatError(path, "\(what) differs from \(firstPath)'s: not shards of one run") }
            guard part.shard.count == n else { throw mismatch("shard count \(part.shard.count)") }
            guard part.model == first.model else { throw mismatch("model") }
            guard part.compareModel == first.compareModel else { throw mismatch("compared model") }
            guard part.limit == first.limit else { throw mismatch("--limit") }
            guard part.datasets.map(\.name) == first.datasets.map(\.name) else { throw mismatch("dataset list") }
            for (a, b) in zip(part.datasets, first.datasets) where a.fileSHA256 != b.fileSHA256 || a.selectedRows != b.selectedRows {
                throw mismatch("data file of dataset \(a.name)")
            }
            if let other = byIndex[part.shard.index] {
                throw FormatError(path, "shard \(part.shard) given twice (also \(other))")
            }
            byIndex[part.shard.index] = path
        }
        let absent = (0..<n).filter { byIndex[$0] == nil }
        guard absent.isEmpty else {
            let listed = absent.prefix(8).map { "\($0)/\(n)" }.joined(separator: ", ")
            throw FormatError("--merge", "missing shard\(absent.count == 1 ? "" : "s") \(listed)\(absent.count > 8 ? " and \(absent.count - 8) more" : "")")
        }
        var merged: [DatasetPredictions] = []
        for (d, template) in first.datasets.enumerated() {
            var rows: [(line: Int, top: Int, compare: Int?)] = []
            var skipped: [Int] = []
            for (_, part) in parts {
                let p = part.datasets[d]
                for (i, line) in p.lines.enumerated() { rows.append((line, p.top[i], p.compareTop?[i])) }
                skipped += p.skippedLines
            }
            rows.sort { $0.line < $1.line }
            guard rows.count + skipped.count == template.selectedRows, Set(rows.map(\.line) + skipped).count == template.selectedRows else {
                throw FormatError("--merge", "dataset \(template.name): the shards cover \(rows.count + skipped.count) row(s), expected \(template.selectedRows) exactly once")
            }
            merged.append(DatasetPredictions(
                info: template.info, fileSHA256: template.fileSHA256, selectedRows: template.selectedRows,
                lines: rows.map(\.line), top: rows.map(\.top),
                compareTop: template.compareTop == nil ? nil : rows.map { $0.compare ?? 0 }, skippedLines: skipped.sorted()))
        }
        return (first.model, first.compareModel, merged)
    }
}
