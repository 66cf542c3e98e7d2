/// What one dataset's evaluated rows picked, for one model and optionally a compared one: the raw
/// material of a report, and what shards write and `--merge` combines.
public struct DatasetPredictions: Sendable, Equatable {
    public var info: DatasetInfo
    /// SHA-256 of the dataset file.
    public var fileSHA256: String
    /// Rows selected before sharding (after `--limit`), including the skipped ones.
    public var selectedRows: Int
    /// The evaluated rows' line numbers, ascending.
    public var lines: [Int]
    /// The candidate each evaluated row picked (0 = the ground truth).
    public var top: [Int]
    /// The compared model's picks for the same rows, when comparing.
    public var compareTop: [Int]?
    /// Lines skipped (with `--keep-going`) because they could not be read or embedded.
    public var skippedLines: [Int]

    public init(info: DatasetInfo, fileSHA256: String, selectedRows: Int, lines: [Int], top: [Int],
                compareTop: [Int]? = nil, skippedLines: [Int] = []) {
        self.info = info
        self.fileSHA256 = fileSHA256
        self.selectedRows = selectedRows
        self.lines = lines
        self.top = top
        self.compareTop = compareTop
        self.skippedLines = skippedLines
    }

    public var name: String { info.name }
    public var queries: Int { lines.count }
    public var hits: Int { top.filter { $0 == 0 }.count }
    public var compareHits: Int? { compareTop.map { $0.filter { $0 == 0 }.count } }
    /// Rows whose top-1 choice differs between the two models.
    public var changedTop: Int? { compareTop.map { zip(top, $0).filter { $0 != $1 }.count } }
}
