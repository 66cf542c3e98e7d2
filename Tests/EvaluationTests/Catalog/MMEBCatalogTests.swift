import Evaluation
import Foundation
import Testing

@Suite struct MMEBCatalogTests {
    /// The split sizes of spec vlm2vec.md §6: 36 datasets, classification 5+5, VQA 6+4,
    /// retrieval 8+4, grounding 1+3.
    @Test func thirtySixDatasetsInTheirMetaTasksAndSplits() {
        let all = MMEBCatalog.datasets
        #expect(all.count == 36)
        #expect(Set(all.map(\.name)).count == 36)
        let expected: [MetaTask: (Int, Int)] = [.classification: (5, 5), .vqa: (6, 4), .retrieval: (8, 4), .grounding: (1, 3)]
        for (task, (ind, ood)) in expected {
            let group = all.filter { $0.metaTask == task }
            #expect(group.filter { $0.split == .ind }.count == ind, "\(task) IND")
            #expect(group.filter { $0.split == .ood }.count == ood, "\(task) OOD")
        }
    }

    /// Averaging the published per-dataset scores (paper Table 6) through the report reproduces the
    /// paper's Table 2 row for VLM2Vec LLaVA-1.6 LoRA at 1344² (published to one decimal).
    @Test func publishedScoresAggregateToTheHeadlineRow() throws {
        let predictions = try MMEBCatalog.datasets.map { info -> DatasetPredictions in
            let p = try #require(info.publishedPrecisionAt1, "\(info.name) has no published score")
            let hits = Int((p * 10).rounded())
            return DatasetPredictions(info: info, fileSHA256: "", selectedRows: 1000, lines: Array(1...1000),
                                      top: Array(repeating: 0, count: hits) + Array(repeating: 1, count: 1000 - hits))
        }
        let report = EvalReport(predictions: predictions, model: ModelDescriptor(backbone: "llava_next", identity: "paper"))
        func close(_ x: Double?, _ published: Double) -> Bool { x.map { abs($0 * 100 - published) <= 0.05 + 1e-9 } ?? false }
        let tasks = Dictionary(uniqueKeysWithValues: report.metaTasks.map { ($0.0, $0.1.precision) })
        #expect(close(tasks[.classification], 61.2))
        #expect(close(tasks[.vqa], 49.9))
        #expect(close(tasks[.retrieval], 67.4))
        #expect(close(tasks[.grounding], 86.1))
        let splits = Dictionary(uniqueKeysWithValues: report.splits.map { ($0.0, $0.1.precision) })
        #expect(close(splits[.ind], 67.5))
        #expect(close(splits[.ood], 57.1))
        #expect(close(report.overall?.precision, 62.9))
        #expect(report.overall?.datasets == 36)
    }

    @Test func descriptionFileAddsAndOverridesDatasets() throws {
        let dir = try EvalFixtures.temporaryDirectory()
        try #"{"mine": {"meta_task": "vqa", "split": "IND"}, "VOC2007": {"meta_task": "classification", "split": "OOD"}}"#
            .write(toFile: dir + "/datasets.json", atomically: true, encoding: .utf8)
        let catalog = try DatasetCatalog.load(dataDirectory: dir)
        #expect(catalog.info(named: "mine")?.metaTask == .vqa)
        #expect(catalog.info(named: "mine")?.split == .ind)
        #expect(catalog.info(named: "VOC2007")?.split == .ood)
        #expect(catalog.info(named: "VOC2007")?.publishedPrecisionAt1 == 91.5)
        #expect(catalog.reportOrder(["zeta", "mine", "GQA", "ImageNet-1K"]) == ["ImageNet-1K", "GQA", "mine", "zeta"])
    }

    @Test(arguments: [
        #"{"x": {"meta_task": "ranking", "split": "IND"}}"#,
        #"{"x": {"meta_task": "vqa", "split": "both"}}"#,
        #"["x"]"#,
    ])
    func badDescriptionFileNamesTheProblem(text: String) throws {
        let dir = try EvalFixtures.temporaryDirectory()
        try text.write(toFile: dir + "/datasets.json", atomically: true, encoding: .utf8)
        #expect { try DatasetCatalog.load(dataDirectory: dir) } throws: { "\($0)".contains("datasets.json") }
    }
}
