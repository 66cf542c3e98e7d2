import Foundation
import Testing
import Models
import ModelGraph
import Preprocessing
import TensorFormats

/// The reference models as llama.cpp files (text GGUF, and for LLaVA-1.6 the clip mmproj) give the
/// upstream embeddings: on every reference row a twin can express (phi3 text twins: text rows;
/// LLaVA text + mmproj: every row), input_ids from the GGUF vocabulary equal upstream's and the
/// pooled embedding's cosine to upstream PyTorch is ≥ 0.99999 from F16 weights, ≥ 0.995 from Q8_0.
@Suite(.serialized) struct GGUFTwinParityTests {
    struct Twin: CustomStringConvertible, Sendable {
        let backbone: String, text: String, mmproj: String?, minCosine: Double
        var description: String { text + (mmproj.map { " + " + $0 } ?? "") }
    }

    static let twins = [
        Twin(backbone: "phi3_v", text: "phi3_v-text-f16.gguf", mmproj: nil, minCosine: 0.99999),
        Twin(backbone: "phi3_v", text: "phi3_v-text-q8_0.gguf", mmproj: nil, minCosine: 0.995),
        Twin(backbone: "llava_next", text: "llava_next-text-f16.gguf", mmproj: "llava_next-mmproj-f16.gguf", minCosine: 0.99999),
    ]

    @Test(arguments: twins)
    func everyExpressibleRowMatchesUpstream(twin: Twin) throws {
        let pipeline = try GGUFTwins.pipeline(twin.text, mmproj: twin.mmproj)
        var cosines: [Double] = []
        var expressible = 0
        for c in ReferenceCase.all(backbone: twin.backbone) {
            for (row, rowJSON) in c.rows.enumerated() {
                let imageFile = rowJSON["image_file"]?.stringValue
                if imageFile != nil && twin.mmproj == nil { continue }
                let images = imageFile.map { [ReferenceCase.referenceRoot + "/" + $0] } ?? []
                let request = EmbeddingRequest(id: "\(c.id)/\(row)", text: rowJSON["prompt"]?.stringValue ?? "", images: images)
                let input = try pipeline.prepare(request)
                #expect(input.inputIds == (try CaseRunner.referenceIDs(c, row: row)), "\(twin) \(c.id) row \(row): input_ids differ")
                if case .longRoPE(_, _, let orig) = pipeline.graph.config.decoder.rope, let batchList = c.ropeFactorList {
                    let own = input.inputIds.count > orig ? "long_factor" : "short_factor"
                    if own != batchList { continue }  // upstream's batch chose the other LongRoPE list
                }
                expressible += 1
                guard let r = try CaseRunner.run(c, row: row, input: input, range: try CaseRunner.validRange(c, row: row),
                                                 variant: "base", model: pipeline.model) else { continue }
                #expect(r.cosine >= twin.minCosine, "\(twin) \(c.id) row \(row): cosine \(r.cosine)")
                cosines.append(r.cosine)
            }
        }
        #expect(!cosines.isEmpty && cosines.count == expressible, "\(twin): compared \(cosines.count) of \(expressible) expressible rows")
        let sorted = cosines.sorted()
        print("gguf twin \(twin): \(cosines.count) rows, cosine min \(String(format: "%.9f", sorted.first ?? .nan)), median \(String(format: "%.9f", sorted.isEmpty ? .nan : sorted[sorted.count / 2]))")
    }
}

/// LLaVA-1.6 GGUFs converted from the original checkpoints have no `<image>` token: the loader
/// appends one after the vocabulary. The twin rewritten without its tokens ≥ 32000 (so the
/// appended id is 32000 again) tokenizes text and text+image requests to the same ids and embeds
/// them to the same values (up to BLAS summation order) as the twin does.
@Suite struct GGUFImageTokenTests {
    @Test func vocabularyWithoutImageTokenGetsOneAppended() throws {
        let source = try GGUFFile(path: try GGUFTwins.path("llava_next-text-f16.gguf"))
        let trimmed = try GGUFTwins.unpacked.get() + "/llava_next-text-f16-no-image-token.gguf"
        let arrays: Set<String> = ["tokenizer.ggml.tokens", "tokenizer.ggml.scores", "tokenizer.ggml.token_type"]
        let metadata: [(key: String, value: GGUFValue)] = source.metadataEntries.compactMap { key, value in
            if key == "tokenizer.ggml.padding_token_id" { return nil }  // 32001 would leave the vocabulary
            guard arrays.contains(key), case .array(let type, let values) = value else { return (key, value) }
            return (key, .array(elementType: type, values: Array(values.prefix(32000))))
        }
        let writer = try GGUFWriter(path: trimmed, metadata: metadata,
                                    tensors: source.tensorInfos.map { GGUFTensorSpec(name: $0.name, shape: $0.shape, type: $0.type) })
        for t in source.tensorInfos { try writer.writeTensor(encoded: try source.tensorData(named: t.name).bytes) }
        try writer.finish()
        #expect(try GGUFFile(path: trimmed).stringArray("tokenizer.ggml.tokens")?.contains("<image>") == false)

        let original = try GGUFTwins.pipeline("llava_next-text-f16.gguf", mmproj: "llava_next-mmproj-f16.gguf")
        let (graph, _) = try ModelGraph.loadEmbeddingGraph(source: trimmed, adapter: nil, mmproj: try GGUFTwins.path("llava_next-mmproj-f16.gguf"))
        let rebuilt = try EmbeddingPipeline(graph: graph)
        for request in [EmbeddingRequest(id: "t", text: "Represent the given sentence: waves on a pier", images: []),
                        EmbeddingRequest(id: "ti", text: "<image> Represent the given image.", images: [ReferenceCase.referenceRoot + "/images/example.jpg"])] {
            #expect(try rebuilt.prepare(request).inputIds == original.prepare(request).inputIds, "\(request.id): ids differ")
            // Same ids, same weights: equal up to BLAS summation order (other suites may change the
            // kernel thread count while this runs).
            let a = try rebuilt.embed(request), b = try original.embed(request)
            let diff = zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
            #expect(a.count == b.count && diff <= 1e-6, "\(request.id): embeddings differ by \(diff)")
        }
    }
}
