import Evaluation
import Foundation
import Testing

@Suite struct PartialResultTests {
    let model = ModelDescriptor(backbone: "phi3_v", identity: "aaa")

    func shardOf(_ whole: DatasetPredictions, _ shard: ShardSpec) -> DatasetPredictions {
        var p = whole
        let keep = whole.lines.indices.filter { shard.owns(position: $0) }
        p.lines = keep.map { whole.lines[$0] }
        p.top = keep.map { whole.top[$0] }
        p.compareTop = whole.compareTop.map { c in keep.map { c[$0] } }
        p.skippedLines = []
        return p
    }

    let whole = DatasetPredictions(info: DatasetInfo(name: "VOC2007", metaTask: .classification, split: .ind), fileSHA256: "abc",
                                   selectedRows: 7, lines: [1, 2, 3, 5, 6, 8, 9], top: [0, 3, 0, 1, 0, 0, 2], compareTop: [0, 0, 0, 1, 4, 0, 2])

    @Test func roundTripsThroughJSON() throws {
        let part = PartialResult(shard: try ShardSpec(index: 1, count: 3), model: model, compareModel: model, limit: 9, datasets: [whole])
        let dir = try EvalFixtures.temporaryDirectory()
        try part.write(to: dir + "/p.json")
        #expect(try PartialResult.read(dir + "/p.json") == part)
    }

    @Test func mergingAllShardsGivesTheWhole() throws {
        let parts = try (0..<3).map { i -> (path: String, result: PartialResult) in
            let s = try ShardSpec(index: i, count: 3)
            return ("s\(i)", PartialResult(shard: s, model: model, compareModel: model, limit: nil, datasets: [shardOf(whole, s)]))
        }
        let merged = try PartialResult.merge(parts.reversed())
        #expect(merged.predictions == [whole])
        #expect(merged.compare == model)
    }

    @Test func refusesIncompleteOrMismatchedShards() throws {
        func part(_ i: Int, _ n: Int, model m: ModelDescriptor? = nil, sha: String = "abc") throws -> (path: String, result: PartialResult) {
            let s = try ShardSpec(index: i, count: n)
            var d = shardOf(whole, s)
            d.fileSHA256 = sha
            return ("s\(i)of\(n)", PartialResult(shard: s, model: m ?? model, compareModel: model, limit: nil, datasets: [d]))
        }
        #expect { try PartialResult.merge([try part(0, 3), try part(2, 3)]) } throws: { "\($0)".contains("missing shard 1/3") }
        #expect { try PartialResult.merge([try part(0, 2), try part(0, 2), try part(1, 2)]) } throws: { "\($0)".contains("given twice") }
        #expect { try PartialResult.merge([try part(0, 2), try part(1, 3)]) } throws: { "\($0)".contains("shard count") }
        #expect { try PartialResult.merge([try part(0, 2), try part(1, 2, model: ModelDescriptor(backbone: "phi3_v", identity: "zzz"))]) } throws: {
            "\($0)".contains("model differs")
        }
        #expect { try PartialResult.merge([try part(0, 2), try part(1, 2, sha: "def")]) } throws: { "\($0)".contains("data file of dataset VOC2007") }
    }

    @Test func findsShardFilesInFolders() throws {
        let dir = try EvalFixtures.temporaryDirectory()
        for name in ["eval-shard-1-of-2.json", "eval-shard-0-of-2.json", "other.json"] {
            try "{}".write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
        }
        #expect(try PartialResult.files(in: [dir]) == [dir + "/eval-shard-0-of-2.json", dir + "/eval-shard-1-of-2.json"])
        #expect(throws: (any Error).self) { try PartialResult.files(in: [dir + "/absent"]) }
        #expect { try PartialResult.read(dir + "/other.json") } throws: { "\($0)".contains("not a vlmembed eval partial result") }
    }
}
