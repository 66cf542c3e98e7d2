import Evaluation
import Foundation
import Testing
import TensorFormats

@Suite struct EvalRunnerTests {
    /// A small data folder: 6 text-to-text rows and 3 image rows over two images.
    func data() throws -> String {
        var text: [String] = []
        for i in 0..<6 { text.append(EvalFixtures.row("q\(i)", candidates: (0..<4).map { "c\(($0 + i) % 4)" })) }
        let images = [
            EvalFixtures.row("<|image_1|>\nRepresent", image: "a.png", candidates: ["x", "y"]),
            EvalFixtures.row("find", candidates: ["<|image_1|>\nimg", "<|image_1|>\nimg"], images: ["a.png", "b.png"]),
            EvalFixtures.row("find", candidates: ["<|image_1|>\nimg", "<|image_1|>\nimg"], images: ["b.png", "a.png"]),
        ]
        let dir = try EvalFixtures.dataFolder(["text": text, "pics": images])
        try FileManager.default.createDirectory(atPath: dir + "/images", withIntermediateDirectories: true)
        try Data([1]).write(to: URL(fileURLWithPath: dir + "/images/a.png"))
        try Data([2]).write(to: URL(fileURLWithPath: dir + "/images/b.png"))
        return dir
    }

    /// Picks agree with an independent argmax over the embedder's own vectors.
    @Test func picksMatchAnIndependentArgmax() throws {
        let dir = try data()
        let folder = try EvalDataFolder(directory: dir)
        let sets = try folder.read()
        let fake = FakeEmbedder()
        let outcome = try EvalRunner(model: fake, imagesRoot: folder.imagesRoot, cacheRoot: nil).run(sets)
        for (d, p) in zip(sets, outcome.predictions) {
            #expect(p.lines == d.rows.map(\.line))
            for (row, top) in zip(d.rows, p.top) {
                func vector(_ input: EvalInput) throws -> [Double] {
                    try fake.embed(.init(id: "", text: input.text, images: input.hasImage ? [folder.imagesRoot + "/" + input.imagePath] : [])).map(Double.init)
                }
                let q = try vector(row.query)
                let scores = try row.candidates.map { c in zip(q, try vector(c)).map { $0 * $1 }.reduce(0, +) }
                let best = scores.firstIndex(of: scores.max() ?? 0) ?? -1
                #expect(top == best, "\(d.name) line \(row.line)")
            }
        }
        // Distinct inputs are embedded once: 6 queries + 4 candidates; 2 queries + 2 texts + 2 image candidates.
        #expect(outcome.computed == 16)
        #expect(outcome.cacheHits == 0)
    }

    /// The backbone's marker reaches the model; the image is resolved under the images root.
    @Test func requestsUseTheBackboneMarker() throws {
        let dir = try data()
        let folder = try EvalDataFolder(directory: dir)
        let fake = FakeEmbedder(backbone: "llava_next")
        _ = try EvalRunner(model: fake, imagesRoot: folder.imagesRoot, cacheRoot: nil).run(try folder.read(["pics"]))
        let first = try #require(fake.requests.first)
        #expect(first.text == "<image>\nRepresent")
        #expect(first.images == [folder.imagesRoot + "/a.png"])
    }

    @Test func secondRunIsServedFromTheCache() throws {
        let dir = try data()
        let cache = try EvalFixtures.temporaryDirectory()
        let folder = try EvalDataFolder(directory: dir)
        let first = try EvalRunner(model: FakeEmbedder(), imagesRoot: folder.imagesRoot, cacheRoot: cache).run(try folder.read())
        let fake = FakeEmbedder()
        let second = try EvalRunner(model: fake, imagesRoot: folder.imagesRoot, cacheRoot: cache).run(try folder.read())
        #expect(fake.callCount == 0)
        #expect(second.cacheHits == 16 && second.computed == 0)
        #expect(second.predictions == first.predictions)
        // Another model identity shares nothing.
        let other = try EvalRunner(model: FakeEmbedder(identity: "other"), imagesRoot: folder.imagesRoot, cacheRoot: cache).run(try folder.read())
        #expect(other.computed == 16)
    }

    @Test func shardsTogetherEqualTheWholeRun() throws {
        let dir = try data()
        let folder = try EvalDataFolder(directory: dir)
        let whole = try EvalRunner(model: FakeEmbedder(), compare: FakeEmbedder(identity: "b"), imagesRoot: folder.imagesRoot, cacheRoot: nil).run(try folder.read())
        let model = ModelDescriptor(backbone: "phi3_v", identity: "fake-model")
        let parts = try (0..<4).map { i -> (path: String, result: PartialResult) in
            let s = try ShardSpec(index: i, count: 4)
            let o = try EvalRunner(model: FakeEmbedder(), compare: FakeEmbedder(identity: "b"), imagesRoot: folder.imagesRoot, cacheRoot: nil)
                .run(try folder.read(), shard: s)
            return ("\(i)", PartialResult(shard: s, model: model, compareModel: model, limit: nil, datasets: o.predictions))
        }
        // Round-robin per dataset: text's 6 rows give 2, 2, 1, 1; pics' 3 rows give 1, 1, 1, 0.
        #expect(parts.map { $0.result.datasets.map(\.queries).reduce(0, +) } == [3, 3, 2, 1])
        let merged = try PartialResult.merge(parts).predictions
        #expect(merged.map(\.lines) == whole.predictions.map(\.lines))
        #expect(merged.map(\.top) == whole.predictions.map(\.top))
        #expect(merged.map(\.compareTop) == whole.predictions.map(\.compareTop))
        #expect(EvalReport(predictions: merged, model: model, compare: model).json() == EvalReport(predictions: whole.predictions, model: model, compare: model).json())
    }

    /// Without --keep-going the first problem is thrown; with it, bad rows are skipped and counted.
    @Test func problemsStopTheRunOrAreSkipped() throws {
        let dir = try EvalFixtures.dataFolder(["d": [
            EvalFixtures.row("fine", candidates: ["a", "b"]),
            "{oops",
            EvalFixtures.row("FAIL me", candidates: ["a"]),
            EvalFixtures.row("also fine", candidates: ["FAIL", "b"]),
            EvalFixtures.row("fine too", candidates: ["b", "a"]),
        ]])
        let folder = try EvalDataFolder(directory: dir)
        #expect { try EvalRunner(model: FakeEmbedder(), imagesRoot: dir, cacheRoot: nil).run(try folder.read()) } throws: {
            "\($0)" == "\(dir)/d.jsonl:2: dataset d: malformed JSON: invalid JSON at byte 1: expected a string key"
                || "\($0)".hasPrefix("\(dir)/d.jsonl:2: dataset d: malformed JSON")
        }
        let outcome = try EvalRunner(model: FakeEmbedder(), imagesRoot: dir, cacheRoot: nil, keepGoing: true).run(try folder.read())
        let p = try #require(outcome.predictions.first)
        #expect(p.lines == [1, 5])
        #expect(p.skippedLines == [2, 3, 4])
        #expect(outcome.problems.map(\.line) == [2, 3, 4])
        #expect(outcome.problems[1].reason.hasPrefix("query: cannot embed"))
        #expect(outcome.problems[2].reason.hasPrefix("candidate 0: cannot embed"))
    }

    /// The dump holds each row's query and each distinct candidate, with their inputs.
    @Test func dumpHoldsTheEmbeddingsUsed() throws {
        let dir = try data()
        let folder = try EvalDataFolder(directory: dir)
        let out = try EvalFixtures.temporaryDirectory() + "/dump.safetensors"
        let fake = FakeEmbedder()
        _ = try EvalRunner(model: fake, compare: FakeEmbedder(identity: "b"), imagesRoot: folder.imagesRoot, cacheRoot: nil)
            .run(try folder.read(["text"]), dump: out)
        let file = try SafetensorsFile(path: out)
        #expect(file.descriptor(named: "text/queries")?.shape == [6, 8])
        #expect(file.descriptor(named: "text/targets")?.shape == [4, 8])
        #expect(file.descriptor(named: "compare/text/queries")?.shape == [6, 8])
        #expect(file.metadata["text/lines"] == "[1,2,3,4,5,6]")
        let targets = try JSONParser.parse(try #require(file.metadata["text/target_inputs"]))
        #expect(targets.arrayValue?.first == .array([.string("c0"), .string("")]))
        let first = Array(try file.floats(named: "text/targets").prefix(8))
        #expect(first == (try fake.embed(.init(id: "", text: "c0"))))
    }
}
