import Foundation
import Testing
import Models
import ModelGraph
import Preprocessing

/// Base checkpoint + the reference DoRA adapter, merged at load, against upstream's `lora` (PEFT
/// forward, unmerged) and `merged` (merge_and_unload) variants: pooled cosine ≥ 0.99999 on every
/// comparable row, and for `merged` every stored intermediate within 1e-4·(1 + max|ref|).
@Suite(.serialized) struct AdapterParityTests {
    static let pipelines: [String: Swift.Result<EmbeddingPipeline, any Error>] = Dictionary(uniqueKeysWithValues: ["phi3_v", "llava_next"].map { b in
        (b, Swift.Result { try EmbeddingPipeline.load(directory: ReferenceCase.modelsRoot + "/" + b,
                                                      adapter: ReferenceCase.repoRoot + "/Fixtures/adapters/reference/\(b)_adapter") })
    })

    @Test(arguments: PipelineParityTests.caseIDs)
    func mergedAdapterMatchesUpstream(id: String) throws {
        let c = try ReferenceCase.named(id)
        let pipeline = try #require(Self.pipelines[c.backbone]).get()
        var compared = 0
        for (row, rowJSON) in c.rows.enumerated() {
            let images = rowJSON["image_file"]?.stringValue.map { [ReferenceCase.referenceRoot + "/" + $0] } ?? []
            let input = try pipeline.prepare(EmbeddingRequest(id: "\(id)/\(row)", text: rowJSON["prompt"]?.stringValue ?? "", images: images))
            if case .longRoPE(_, _, let orig) = pipeline.graph.config.decoder.rope, let batchList = c.ropeFactorList,
               (input.inputIds.count > orig ? "long_factor" : "short_factor") != batchList { continue }
            for variant in ["merged", "lora"] {
                let r = try #require(try CaseRunner.run(c, row: row, input: input, range: try CaseRunner.validRange(c, row: row),
                                                       variant: variant, model: pipeline.model))
                #expect(r.cosine >= 0.99999, "\(id) row \(row) \(variant): cosine \(r.cosine)")
                if variant == "merged" { for check in r.checks { #expect(check.passes, "\(id) row \(row): \(check)") } }
                print("adapter \(id) row \(row) \(variant): cosine \(String(format: "%.9f", r.cosine)), worst \(r.checks.map { $0.error }.max() ?? 0)")
            }
            compared += 1
        }
        #expect(compared > 0 || id == "p10_batch_mixed")
    }
}
