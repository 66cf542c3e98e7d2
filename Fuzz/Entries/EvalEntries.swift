import Evaluation
import TensorFormats

/// `eval` inputs: a dataset's JSON-lines rows, the `datasets.json` catalog, and a shard's partial
/// result merged by `eval --merge`.
enum EvalEntries {
    static let info = DatasetInfo(name: "fuzz", metaTask: .classification, split: .ind)

    /// `DATA/NAME.jsonl` rows; the images root holds one image (`a.png`) so rows can resolve.
    static let rows: FuzzEntries.Entry = { bytes in
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47]
        try png.withUnsafeBytes { image in
            try Scratch.with([("fuzz.jsonl", bytes), ("a.png", image)]) { dir in
                let d = try EvalDataset.read(file: dir + "/fuzz.jsonl", info: info, imagesRoot: dir, limit: nil)
                _ = d.rows.count + d.problems.count
                _ = try EvalDataset.read(file: dir + "/fuzz.jsonl", info: info, imagesRoot: dir, limit: 3)
            }
        }
    }

    /// `DATA/datasets.json`.
    static let catalog: FuzzEntries.Entry = { bytes in
        try Scratch.with([("datasets.json", bytes)]) { dir in
            let c = try DatasetCatalog.load(dataDirectory: dir)
            _ = c.reportOrder(["fuzz"])
        }
    }

    /// One `eval-shard-*.json`: read, then merged alone (as `eval --merge FILE`) and with itself.
    static let shards: FuzzEntries.Entry = { bytes in
        try Scratch.with([("eval-shard-0-of-1.json", bytes)]) { dir in
            let path = dir + "/eval-shard-0-of-1.json"
            let part = try PartialResult.read(path)
            _ = part.json().serialized()
            _ = try? PartialResult.merge([(path, part), (path, part)])
            _ = try PartialResult.merge([(path, part)])
        }
    }
}
