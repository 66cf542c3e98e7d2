import Foundation
import Testing
import Models
import ModelGraph
import Preprocessing

/// The whole pipeline — our tokenizer, image processor, prompt assembly and forward pass — on every
/// row of every reference case (base variant): input_ids identical to upstream, every stored
/// intermediate within 1e-4·(1 + max|ref|), pooled embedding cosine ≥ 0.99999. Rows whose own length
/// selects a different LongRoPE factor list than their padded batch did are excluded (upstream picks
/// the factors from the batch; we embed each request as if alone).
@Suite(.serialized) struct PipelineParityTests {
    static let pipelines: [String: Swift.Result<EmbeddingPipeline, any Error>] = Dictionary(uniqueKeysWithValues: ["phi3_v", "llava_next"].map { b in
        (b, Swift.Result { try EmbeddingPipeline.load(directory: ReferenceCase.modelsRoot + "/" + b) })
    })

    static var caseIDs: [String] {
        (ReferenceCase.casesJSON["cases"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
    }

    @Test(arguments: caseIDs)
    func rowMatchesUpstream(id: String) throws {
        let c = try ReferenceCase.named(id)
        let pipeline = try #require(Self.pipelines[c.backbone]).get()
        var compared = 0
        for (row, rowJSON) in c.rows.enumerated() {
            let images = rowJSON["image_file"]?.stringValue.map { [ReferenceCase.referenceRoot + "/" + $0] } ?? []
            let request = EmbeddingRequest(id: "\(id)/\(row)", text: rowJSON["prompt"]?.stringValue ?? "", images: images)
            let input = try pipeline.prepare(request)
            #expect(input.inputIds == (try CaseRunner.referenceIDs(c, row: row)), "\(id) row \(row): input_ids differ")
            if case .longRoPE(_, _, let orig) = pipeline.graph.config.decoder.rope, let batchList = c.ropeFactorList {
                let own = input.inputIds.count > orig ? "long_factor" : "short_factor"
                if own != batchList { print("parity \(id) row \(row): skipped (own length selects \(own), batch used \(batchList))"); continue }
            }
            let r = try #require(try CaseRunner.run(c, row: row, input: input, range: try CaseRunner.validRange(c, row: row),
                                                   variant: "base", model: pipeline.model))
            compared += 1
            #expect(r.cosine >= 0.99999, "\(id) row \(row): cosine \(r.cosine)")
            for check in r.checks { #expect(check.passes, "\(id) row \(row): \(check)") }
            let worst = r.checks.filter { $0.name != "pooled_normalized" }.max { $0.error / $0.bound < $1.error / $1.bound }
            print("parity \(id) row \(row): cosine \(String(format: "%.9f", r.cosine)), worst \(worst.map { "\($0.name) \($0.error) (bound \($0.bound))" } ?? "-"), \(r.checks.count) tensors")
        }
        #expect(compared > 0 || id == "p10_batch_mixed", "\(id): no comparable row")
    }
}
