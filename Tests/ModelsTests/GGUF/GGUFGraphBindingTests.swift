import Foundation
import Testing
@testable import ModelGraph
import TensorFormats

/// A GGUF twin binds to the same canonical graph as the safetensors checkpoint it was converted
/// from: same hyperparameters (LongRoPE factors from the rope_factors tensors, CLIP depth from the
/// mmproj), and every tensor the forward pass reads holds the same values — llama Q/K rows put
/// back in Hugging Face order, fused Phi-3 tensors as they are, legacy mmproj fc1/fc2 swapped
/// back. bf16 → f16 is exact except below f16's normal range, where it rounds by ≤ 2⁻²⁵.
@Suite(.serialized) struct GGUFGraphBindingTests {
    static func compare(_ twin: String, mmproj: String?, backbone: String) throws {
        let gguf = try ModelGraph.load(gguf: try GGUFTwins.path(twin), mmproj: try mmproj.map { try GGUFTwins.path($0) })
        let reference = try ModelGraph.load(directory: ReferenceCase.modelsRoot + "/" + backbone)
        #expect(gguf.config.decoder == reference.config.decoder, "\(twin): decoder config \(gguf.config.decoder) vs \(reference.config.decoder)")
        if mmproj != nil {
            let (g, r) = (try #require(gguf.config.vision), try #require(reference.config.vision))
            #expect(g.layersToRun == r.layersToRun && g.hiddenSize == r.hiddenSize && g.headCount == r.headCount && g.imageSize == r.imageSize)
            #expect(gguf.config.image == reference.config.image, "\(twin): image config differs")
        }
        var compared = 0, worst: Float = 0
        for name in gguf.tensorNames where name != "lm_head.weight" {
            let ours = try gguf.floats(name)
            let theirs = try reference.floats(name)
            #expect(ours.count == theirs.count, "\(name): \(ours.count) vs \(theirs.count) values")
            var err: Float = 0
            for (a, b) in zip(ours, theirs) { err = max(err, abs(a - b)) }
            #expect(err <= 0x1p-25, "\(twin) \(name): max abs difference \(err)")
            worst = max(worst, err)
            compared += 1
        }
        let needed = Set(reference.tensorNames.filter { !$0.hasPrefix("vision.") && !$0.hasPrefix("projector.") && !$0.hasPrefix("image.") || mmproj != nil })
        let missing = needed.subtracting(gguf.tensorNames).filter { $0 != "lm_head.weight" && !$0.contains("post_layernorm") && !$0.hasPrefix("vision.encoder.layers.\(gguf.config.vision?.layersToRun ?? -1)") }
        #expect(missing.isEmpty, "\(twin): canonical tensors not bound: \(missing.sorted().prefix(5))")
        print("gguf binding \(twin): \(compared) tensors, max abs difference \(worst)")
    }

    @Test func phi3TextTwinBindsTheReferenceDecoder() throws {
        try Self.compare("phi3_v-text-f16.gguf", mmproj: nil, backbone: "phi3_v")
    }

    @Test func llavaTextAndMMProjBindTheReferenceModel() throws {
        try Self.compare("llava_next-text-f16.gguf", mmproj: "llava_next-mmproj-f16.gguf", backbone: "llava_next")
    }

    @Test func llamaRowOrderInvertsTheConverterPermutation() {
        // llama.cpp: stored row 2j (+1) of a head holds HF row j (+ d/2).
        let heads = 3, d = 8
        let order = LlamaRowPermutation.canonicalOrder(rows: heads * d, heads: heads)
        for h in 0..<heads {
            for j in 0..<(d / 2) {
                #expect(order?[h * d + j] == h * d + 2 * j)
                #expect(order?[h * d + d / 2 + j] == h * d + 2 * j + 1)
            }
        }
        #expect(LlamaRowPermutation.canonicalOrder(rows: 10, heads: 4) == nil)
    }
}
