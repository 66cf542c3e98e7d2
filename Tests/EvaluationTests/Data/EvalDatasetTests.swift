import Evaluation
import Foundation
import Testing

@Suite struct EvalDatasetTests {
    let info = DatasetInfo(name: "d", metaTask: .retrieval, split: .ood)

    func write(_ lines: [String]) throws -> (dir: String, file: String) {
        let dir = try EvalFixtures.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir + "/images", withIntermediateDirectories: true)
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: dir + "/images/a.jpg"))
        try (lines.joined(separator: "\n") + "\n").write(toFile: dir + "/d.jsonl", atomically: true, encoding: .utf8)
        return (dir, dir + "/d.jsonl")
    }

    @Test func readsRowsWithCandidateZeroFirst() throws {
        let (dir, file) = try write([
            EvalFixtures.row("<|image_1|>\nq", image: "a.jpg", candidates: ["right", "wrong"]),
            "",
            EvalFixtures.row("find", candidates: ["<|image_1|>\nimg", "t"], images: ["a.jpg", ""]),
            #"{"qry_text": "n", "qry_img_path": null, "tgt_text": ["x"], "tgt_img_path": [null]}"#,
        ])
        let d = try EvalDataset.read(file: file, info: info, imagesRoot: dir + "/images")
        #expect(d.problems.isEmpty)
        #expect(d.rows.map(\.line) == [1, 3, 4])
        #expect(d.rows[0].query == EvalInput(text: "<|image_1|>\nq", imagePath: "a.jpg"))
        #expect(d.rows[0].candidates == [EvalInput(text: "right"), EvalInput(text: "wrong")])
        #expect(d.rows[1].candidates[0] == EvalInput(text: "<|image_1|>\nimg", imagePath: "a.jpg"))
        #expect(d.rows[2].candidates == [EvalInput(text: "x")])
        #expect(d.fileSHA256.count == 64)
    }

    /// Every bad row becomes a problem naming the dataset, the line and the reason; good rows stay.
    @Test func badRowsAreProblemsWithLineAndReason() throws {
        let (dir, file) = try write([
            EvalFixtures.row("ok", candidates: ["a"]),
            "{not json",
            EvalFixtures.row("none", candidates: []),
            EvalFixtures.row("<|image_1|>\nq", image: "missing.jpg", candidates: ["a"]),
            EvalFixtures.row("q", candidates: ["a", "b"], images: [""]),
            #"{"qry_text": 3, "tgt_text": ["a"]}"#,
            #"["a"]"#,
            EvalFixtures.row("", candidates: ["a"]),
            EvalFixtures.row("q", candidates: ["a", "<|image_1|>\nc"], images: ["", "gone.png"]),
        ])
        let d = try EvalDataset.read(file: file, info: info, imagesRoot: dir + "/images")
        #expect(d.rows.map(\.line) == [1])
        let reasons = Dictionary(uniqueKeysWithValues: d.problems.map { ($0.line, $0.reason) })
        #expect(d.problems.map(\.line) == [2, 3, 4, 5, 6, 7, 8, 9])
        #expect(reasons[2]?.hasPrefix("malformed JSON") == true)
        #expect(reasons[3] == "row has no candidates")
        #expect(reasons[4]?.contains("image 'missing.jpg' not found") == true)
        #expect(reasons[5] == "\"tgt_text\" has 2 candidates but \"tgt_img_path\" has 1")
        #expect(reasons[6] == "\"qry_text\" must be a string")
        #expect(reasons[7] == "a row must be a JSON object")
        #expect(reasons[8] == "query has neither text nor image")
        #expect(reasons[9]?.contains("image 'gone.png' not found") == true)
        let line = "\(d.problems[1])"
        #expect(line == "\(file):3: dataset d: row has no candidates")
    }

    @Test func limitCountsRowsNotLines() throws {
        let (dir, file) = try write([EvalFixtures.row("1", candidates: ["a"]), "", "{bad", EvalFixtures.row("3", candidates: ["a"])])
        let d = try EvalDataset.read(file: file, info: info, imagesRoot: dir, limit: 2)
        #expect(d.rows.map(\.line) == [1])
        #expect(d.problems.map(\.line) == [3])
    }

    @Test func folderListsDatasetsAndRefusesUnknownOnes() throws {
        let dir = try EvalFixtures.dataFolder(["b": [EvalFixtures.row("q", candidates: ["a"])], "a": [EvalFixtures.row("q", candidates: ["a"])]])
        try (EvalFixtures.row("q", candidates: ["a"]) + "\n").write(toFile: dir + "/stray.jsonl", atomically: true, encoding: .utf8)
        let folder = try EvalDataFolder(directory: dir)
        #expect(folder.available == ["a", "b", "stray"])
        #expect(try folder.read(["b", "a"]).map(\.name) == ["a", "b"])
        #expect { try folder.read(["stray"]) } throws: { "\($0)".contains("not one of MMEB's 36") }
        #expect { try folder.read(["nope"]) } throws: { "\($0)".contains("no dataset 'nope'") }
        #expect(folder.imagesRoot == dir + "/images")
    }

    /// The committed smoke set: three datasets of 25 real photos, every image present.
    @Test func smokeSetIsComplete() throws {
        let folder = try EvalDataFolder(directory: EvalFixtures.smokeSet)
        let sets = try folder.read()
        #expect(sets.map(\.name) == ["smoke_i2t", "smoke_t2i", "smoke_cls"])
        for d in sets {
            #expect(d.problems.isEmpty, "\(d.problems)")
            #expect(d.rows.count == 25)
            // Candidate lists are permutations of one pool, with the ground truth first.
            let pools = Set(d.rows.map { Set($0.candidates) })
            #expect(pools.count == 1)
            #expect(Set(d.rows.map { $0.candidates[0] }).count == d.rows.count || d.name == "smoke_cls")
        }
        let cls = try #require(sets.last)
        #expect(cls.info.metaTask == .classification)
        #expect(cls.rows[0].candidates.count == 20)
    }
}
