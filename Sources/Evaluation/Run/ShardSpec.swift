import TensorFormats

/// `--shard i/n`: evaluate the i-th of n deterministic slices. Each dataset's selected rows (after
/// `--limit`, in file order) are dealt round-robin: the row at position k goes to shard k mod n, so
/// every shard gets a similar share of every dataset, and the n shards together cover each row once.
public struct ShardSpec: Sendable, Equatable, CustomStringConvertible {
    public var index: Int
    public var count: Int

    public init(index: Int, count: Int) throws {
        guard count >= 1, index >= 0, index < count else {
            throw FormatError("--shard", "'\(index)/\(count)': need 0 ≤ i < n")
        }
        guard count <= InputLimits.maxShards else {
            throw FormatError("--shard", "'\(index)/\(count)': at most \(InputLimits.maxShards) shards")
        }
        self.index = index
        self.count = count
    }

    /// Parses `i/n`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else {
            throw FormatError("--shard", "'\(text)' is not of the form i/n (e.g. 0/4)")
        }
        try self.init(index: i, count: n)
    }

    public var description: String { "\(index)/\(count)" }

    /// Whether the row at `position` (0-based, in file order among the selected rows) is ours.
    public func owns(position: Int) -> Bool { position % count == index }
}
