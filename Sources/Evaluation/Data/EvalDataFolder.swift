import Foundation
import TensorFormats

/// A folder of MMEB-eval data: `NAME.jsonl` per dataset, an images root (default `DIR/images`),
/// and optionally `datasets.json` describing datasets that are not among MMEB's 36.
public struct EvalDataFolder: Sendable {
    public let directory: String
    public let imagesRoot: String
    public let catalog: DatasetCatalog
    /// The dataset names present (one per `*.jsonl`), in report order.
    public let available: [String]
    /// Accept image paths that are absolute or climb out of `imagesRoot` (refused by default).
    public var allowImagesOutsideRoot = false

    public init(directory: String, imagesRoot: String? = nil) throws {
        guard FileSystem.isDirectory(directory) else { throw FormatError(directory, "data folder not found") }
        self.directory = directory
        self.imagesRoot = imagesRoot ?? directory + "/images"
        catalog = try DatasetCatalog.load(dataDirectory: directory)
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let names = files.filter { $0.hasSuffix(".jsonl") && !$0.hasPrefix(".") }.map { String($0.dropLast(".jsonl".count)) }
        available = catalog.reportOrder(names)
    }

    /// Reads the named datasets (all available ones when `names` is nil), first `limit` rows each.
    /// Every dataset must be one of MMEB's 36 or described in `datasets.json`.
    public func read(_ names: [String]? = nil, limit: Int? = nil) throws -> [EvalDataset] {
        let chosen = names ?? available
        guard !chosen.isEmpty else { throw FormatError(directory, "no *.jsonl datasets in the data folder") }
        var seen = Set<String>()
        var datasets: [EvalDataset] = []
        for name in catalog.reportOrder(chosen) where seen.insert(name).inserted {
            guard available.contains(name) else {
                throw FormatError(directory, "no dataset '\(name)' (have: \(available.joined(separator: ", ")))")
            }
            guard let info = catalog.info(named: name) else {
                throw FormatError(directory + "/" + name + ".jsonl",
                                  "'\(name)' is not one of MMEB's 36 datasets; describe its meta_task and split in \(DatasetCatalog.descriptionFile)")
            }
            datasets.append(try EvalDataset.read(file: directory + "/" + name + ".jsonl", info: info, imagesRoot: imagesRoot, limit: limit,
                                                allowOutsideRoot: allowImagesOutsideRoot))
        }
        return datasets
    }
}
