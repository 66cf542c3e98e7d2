/// A checkpoint split over several safetensors files by a `model.safetensors.index.json`
/// (`{"metadata": {...}, "weight_map": {tensor: shard file}}`).
///
/// Every name in the weight map must resolve to a tensor in its shard, no name may appear in
/// two shards, and every tensor of a shard must be listed in the map.
public struct ShardedSafetensors: TensorSource {
    public let indexPath: String
    /// The shards, in the order their files first appear in the weight map.
    public let shards: [SafetensorsFile]
    public let tensors: [TensorDescriptor]
    private let location: [String: Int]

    public var formatName: String { "safetensors" }
    public var architecture: String? { nil }

    public init(indexPath: String) throws {
        self.indexPath = indexPath
        let json = try JSONParser.parse(contentsOf: indexPath)
        guard let map = json["weight_map"]?.objectValue else {
            throw FormatError(indexPath, "index has no weight_map object")
        }
        let directory = indexPath.lastIndex(of: "/").map { String(indexPath[..<$0]) } ?? "."
        var shardNames: [String] = []
        var shardOf: [String: String] = [:]
        for (tensor, value) in map {
            guard let shard = value.stringValue else {
                throw FormatError(indexPath, "weight_map entry for '\(tensor)' is not a file name")
            }
            guard shardOf[tensor] == nil else {
                throw FormatError(indexPath, "tensor '\(tensor)' is listed twice in weight_map")
            }
            guard !shard.split(separator: "/").contains("..") && !shard.hasPrefix("/") else {
                throw FormatError(indexPath, "weight_map shard name '\(shard)' points outside the checkpoint folder")
            }
            shardOf[tensor] = shard
            if !shardNames.contains(shard) { shardNames.append(shard) }
        }
        var shards: [SafetensorsFile] = []
        for name in shardNames {
            let p = directory + "/" + name
            do {
                shards.append(try SafetensorsFile(path: p))
            } catch let e as FormatError where e.file == p && e.problem.hasPrefix("cannot open") {
                throw FormatError(indexPath, "shard '\(name)' named in weight_map is not found (\(e.problem))")
            }
        }
        var location: [String: Int] = [:]
        var tensors: [TensorDescriptor] = []
        for (si, shard) in shards.enumerated() {
            for d in shard.tensors {
                guard let listed = shardOf[d.name] else {
                    throw FormatError(indexPath, "tensor '\(d.name)' in shard '\(shardNames[si])' is not listed in weight_map")
                }
                guard listed == shardNames[si] else {
                    throw FormatError(indexPath, "tensor '\(d.name)' is in shard '\(shardNames[si])' but weight_map says '\(listed)'")
                }
                guard location[d.name] == nil else {
                    throw FormatError(indexPath, "tensor '\(d.name)' appears in two shards")
                }
                location[d.name] = si
                tensors.append(d)
            }
        }
        for (tensor, shard) in map {
            if location[tensor] == nil {
                throw FormatError(indexPath, "tensor '\(tensor)' listed in weight_map is not present in shard '\(shard.stringValue ?? "?")'")
            }
        }
        self.shards = shards
        self.tensors = tensors
        self.location = location
    }

    public func tensorData(named name: String) throws -> TensorData {
        guard let s = location[name] else { throw FormatError(indexPath, "no tensor named '\(name)'") }
        return try shards[s].tensorData(named: name)
    }
}
