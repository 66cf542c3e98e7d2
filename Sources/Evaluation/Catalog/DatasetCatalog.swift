import TensorFormats

/// The datasets an eval run can report on: MMEB's 36, plus any described by a `datasets.json`
/// beside the data (`{"NAME": {"meta_task": "retrieval", "split": "OOD"}, …}`), which may also
/// override an MMEB entry's meta-task or split.
public struct DatasetCatalog: Sendable {
    /// The name of the optional description file in a data folder.
    public static let descriptionFile = "datasets.json"

    private var entries: [String: DatasetInfo]
    private var order: [String]

    /// MMEB's 36 datasets only.
    public init() {
        entries = Dictionary(uniqueKeysWithValues: MMEBCatalog.datasets.map { ($0.name, $0) })
        order = MMEBCatalog.datasets.map(\.name)
    }

    /// MMEB's 36 plus the descriptions in `DIR/datasets.json` when the file exists.
    public static func load(dataDirectory: String) throws -> DatasetCatalog {
        var catalog = DatasetCatalog()
        let path = dataDirectory + "/" + descriptionFile
        guard FileSystem.isFile(path) else { return catalog }
        guard let object = try JSONParser.parse(contentsOf: path).objectValue else {
            throw FormatError(path, "must be a JSON object mapping dataset names to {\"meta_task\", \"split\"}")
        }
        for (name, value) in object {
            guard let taskName = value["meta_task"]?.stringValue, let task = MetaTask(rawValue: taskName) else {
                throw FormatError(path, "dataset '\(name)': \"meta_task\" must be one of \(MetaTask.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard let splitName = value["split"]?.stringValue, let split = DatasetSplit(rawValue: splitName) else {
                throw FormatError(path, "dataset '\(name)': \"split\" must be \"IND\" or \"OOD\"")
            }
            var info = catalog.entries[name] ?? DatasetInfo(name: name, metaTask: task, split: split)
            info.metaTask = task
            info.split = split
            if catalog.entries[name] == nil { catalog.order.append(name) }
            catalog.entries[name] = info
        }
        return catalog
    }

    /// The entry for `name`, if known.
    public func info(named name: String) -> DatasetInfo? { entries[name] }

    /// Sorts dataset names in report order: catalog order first (MMEB's table order, then the
    /// description file's order), unknown names last, alphabetically.
    public func reportOrder(_ names: [String]) -> [String] {
        let rank = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
        return names.sorted { a, b in
            switch (rank[a], rank[b]) {
            case let (x?, y?): return x < y
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return a < b
            }
        }
    }
}
