import Evaluation
import Testing
import TensorFormats

@Suite struct EvalReportTests {
    /// Builds predictions with the given hits out of `n` for model A and B (B's misses pick 2).
    func predictions(_ name: String, _ task: MetaTask, _ split: DatasetSplit, n: Int, hitsA: Int, hitsB: Int? = nil) -> DatasetPredictions {
        let a = Array(repeating: 0, count: hitsA) + Array(repeating: 1, count: n - hitsA)
        let b = hitsB.map { Array(repeating: 0, count: $0) + Array(repeating: 2, count: n - $0) }
        return DatasetPredictions(info: DatasetInfo(name: name, metaTask: task, split: split), fileSHA256: "", selectedRows: n,
                                  lines: (0..<n).map { $0 + 1 }, top: a, compareTop: b)
    }

    let a = ModelDescriptor(backbone: "phi3_v", identity: "aaa")
    let b = ModelDescriptor(backbone: "phi3_v", identity: "bbb")

    /// Meta-task, split and overall scores are means over datasets (not over queries).
    @Test func aggregatesAreMeansOverDatasets() throws {
        let report = EvalReport(predictions: [
            predictions("c1", .classification, .ind, n: 10, hitsA: 5),
            predictions("c2", .classification, .ood, n: 4, hitsA: 1),
            predictions("v1", .vqa, .ind, n: 8, hitsA: 8),
        ], model: a)
        let tasks = Dictionary(uniqueKeysWithValues: report.metaTasks.map { ($0.0, $0.1) })
        #expect(tasks[.classification]?.precision == (0.5 + 0.25) / 2)
        #expect(tasks[.classification]?.datasets == 2)
        #expect(tasks[.vqa]?.precision == 1.0)
        #expect(tasks[.retrieval] == nil)
        let splits = Dictionary(uniqueKeysWithValues: report.splits.map { ($0.0, $0.1.precision) })
        #expect(splits[.ind] == (0.5 + 1.0) / 2)
        #expect(splits[.ood] == 0.25)
        #expect(report.overall?.precision == (0.5 + 0.25 + 1.0) / 3)
    }

    @Test func jsonCarriesDatasetsMetaTasksSplitsOverallAndCompare() throws {
        let report = EvalReport(predictions: [
            predictions("c1", .classification, .ind, n: 10, hitsA: 5, hitsB: 7),
            predictions("r1", .retrieval, .ood, n: 10, hitsA: 2, hitsB: 2),
        ], model: a, compare: b)
        let json = try JSONParser.parse(report.json().serialized())
        #expect(json["datasets"]?["c1"]?["precision_at_1"]?.doubleValue == 0.5)
        #expect(json["datasets"]?["c1"]?["queries"]?.intValue == 10)
        #expect(json["datasets"]?["c1"]?["meta_task"]?.stringValue == "classification")
        #expect(json["datasets"]?["r1"]?["split"]?.stringValue == "OOD")
        #expect(json["meta_tasks"]?["retrieval"]?["precision_at_1"]?.doubleValue == 0.2)
        #expect(json["splits"]?["IND"]?["precision_at_1"]?.doubleValue == 0.5)
        #expect(abs((json["overall"]?.doubleValue ?? 0) - 0.35) < 1e-15)
        let compare = try #require(json["compare"])
        #expect(compare["model"]?["identity"]?.stringValue == "bbb")
        #expect(compare["datasets"]?["c1"]?["precision_at_1"]?.doubleValue == 0.7)
        let delta = try #require(compare["datasets"]?["c1"]?["delta"]?.doubleValue)
        #expect(abs(delta - 0.2) < 1e-15)
        // c1: A misses 5 (pick 1), B misses 3 (pick 2): rows 5,6 changed 1→0, rows 7…9 changed 1→2 → 5 changed.
        #expect(compare["datasets"]?["c1"]?["changed_top1"]?.doubleValue == 0.5)
        // r1: same hits but every miss moved from 1 to 2 → 8 of 10 changed.
        #expect(compare["datasets"]?["r1"]?["changed_top1"]?.doubleValue == 0.8)
        #expect(compare["changed_top1"]?.doubleValue == 13.0 / 20.0)
        #expect(abs((compare["overall"]?.doubleValue ?? 0) - 0.45) < 1e-15)
    }

    /// A dataset whose rows were all skipped is listed with null P@1 and left out of the means.
    @Test func datasetWithoutQueriesIsLeftOutOfMeans() throws {
        var empty = predictions("e", .vqa, .ind, n: 0, hitsA: 0)
        empty.selectedRows = 3
        empty.skippedLines = [1, 2, 3]
        let report = EvalReport(predictions: [empty, predictions("c", .classification, .ind, n: 4, hitsA: 3)], model: a)
        let json = try JSONParser.parse(report.json().serialized())
        #expect(json["datasets"]?["e"]?["precision_at_1"] == .null)
        #expect(json["datasets"]?["e"]?["skipped"]?.intValue == 3)
        #expect(json["overall"]?.doubleValue == 0.75)
        #expect(json["meta_tasks"]?["vqa"] == nil)
    }

    @Test func tableShowsEveryDatasetAndTheComparison() {
        let report = EvalReport(predictions: [predictions("c1", .classification, .ind, n: 10, hitsA: 5, hitsB: 7)], model: a, compare: b)
        let table = report.table()
        #expect(table.contains("top-1 changed"))
        let row = table.split(separator: "\n").first { $0.hasPrefix("c1 ") }
        #expect(row.map { $0.split(separator: " ", omittingEmptySubsequences: true).suffix(4) } == ["50.0", "70.0", "+20.0", "50.0"])
    }
}
