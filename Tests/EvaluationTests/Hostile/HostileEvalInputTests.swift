import Evaluation
import Foundation
import Testing
import TensorFormats

/// Eval rows may not reach outside the images root (absolute or `..`-escaping paths, NUL bytes),
/// and shard files claiming 2³¹ shards are refused before anything is sized by the count.
@Suite struct HostileEvalInputTests {
    let info = DatasetInfo(name: "d", metaTask: .retrieval, split: .ood)

    func read(_ rows: [String], allowOutsideRoot: Bool = false) throws -> EvalDataset {
        let dir = try EvalFixtures.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir + "/images/sub", withIntermediateDirectories: true)
        try Data([1]).write(to: URL(fileURLWithPath: dir + "/images/sub/a.jpg"))
        try Data([1]).write(to: URL(fileURLWithPath: dir + "/outside.jpg"))
        try (rows.joined(separator: "\n") + "\n").write(toFile: dir + "/d.jsonl", atomically: true, encoding: .utf8)
        return try EvalDataset.read(file: dir + "/d.jsonl", info: info, imagesRoot: dir + "/images", allowOutsideRoot: allowOutsideRoot)
    }

    @Test func escapingAndAbsolutePathsAreRowProblems() throws {
        let d = try read([
            EvalFixtures.row("q", image: "sub/a.jpg", candidates: ["x"]),
            EvalFixtures.row("q", image: "../outside.jpg", candidates: ["x"]),
            EvalFixtures.row("q", image: "/etc/passwd", candidates: ["x"]),
            EvalFixtures.row("q", candidates: ["x"], images: ["sub/../../outside.jpg"]),
            EvalFixtures.row("q", image: "sub/./../sub/a.jpg", candidates: ["x"]),
        ])
        #expect(d.rows.map(\.line) == [1, 5])
        #expect(d.problems.map(\.line) == [2, 3, 4])
        #expect(d.problems[0].description.hasSuffix(":2: dataset d: image path '../outside.jpg' climbs out of the images root"))
        #expect(d.problems[1].reason == "image path '/etc/passwd' is absolute; paths must be relative to the images root")
        #expect(d.problems[2].reason == "image path 'sub/../../outside.jpg' climbs out of the images root")
    }

    @Test func nulBytesAreRefusedEvenWhenOutsidePathsAreAllowed() throws {
        let d = try read([#"{"qry_text": "q", "qry_img_path": "sub/a.jpg\u0000.png", "tgt_text": ["x"]}"#], allowOutsideRoot: true)
        #expect(d.problems.count == 1)
        #expect(d.problems.first?.description.contains("contains a NUL byte") == true)
        #expect(d.problems.first.map { !$0.description.unicodeScalars.contains { $0.value == 0 } } == true)
        let allowed = try read([EvalFixtures.row("q", image: "../outside.jpg", candidates: ["x"])], allowOutsideRoot: true)
        #expect(allowed.problems.isEmpty && allowed.rows.count == 1)
    }

    @Test func shardCountsAreBounded() throws {
        #expect { try ShardSpec(parsing: "0/2147483648") } throws: { "\($0)" == "--shard: '0/2147483648': at most 65536 shards" }
        #expect(try ShardSpec(parsing: "3/65536").count == 65536)
    }

    @Test func shardFileClaimingTwoToThe31ShardsIsRefused() throws {
        let dir = try EvalFixtures.temporaryDirectory()
        let path = dir + "/eval-shard-0-of-2147483648.json"
        let json = #"{"format": "vlmembed-eval-partial", "version": 1, "shard": {"index": 0, "count": 2147483648}, "model": {"backbone": "phi3_v", "identity": "x"}, "limit": null, "datasets": []}"#
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        #expect { try PartialResult.read(path) } throws: {
            "\($0)" == "\(path): bad \"shard\" {\"index\":0,\"count\":2147483648} (need 0 ≤ index < count ≤ 65536)"
        }
    }
}
