import Foundation
import Testing
import Bundle
import Kernels
import ModelGraph
import Models
import Preprocessing

/// `EmbeddingPipeline.embedPacked` against `embed(id:input:)` of each input alone, bit for bit, on
/// both tiny backbones from their source folders (bf16 weights, widened to fp32) and from bundles
/// (f32, int8, int4 sym/asym, int4 with int8 inputs), on the active kernel path, with 1 and 2
/// threads, for batches of real prompts from 1 token to past Phi-3's LongRoPE switch (256), in
/// several orders; and per-item errors in a batch.
@Suite(.serialized) struct PackedForwardTests {
    static let backbones = ["phi3_v", "llava_next"]
    /// "source", or a bundle's decoder scheme.
    static let variants: [(String, QuantizationPlan?)] = [
        ("source", nil),
        ("f32", QuantizationPlan(decoder: .f32)),
        ("int8", QuantizationPlan(decoder: .int8)),
        ("int4-g32", QuantizationPlan(decoder: .int4(group: 32, asymmetric: false))),
        ("int4-g64-asym", QuantizationPlan(decoder: .int4(group: 64, asymmetric: true))),
        ("int4-g32-i8in", QuantizationPlan(decoder: .int4(group: 32, asymmetric: false), int4Inputs: .int8)),
    ]
    static var arguments: [(String, String)] { backbones.flatMap { b in variants.map { (b, $0.0) } } }

    static let caption = "Find me an everyday image that matches the given caption: A cat and a dog."
    static let paragraph = "A small brown dog runs across a wide green field in the early morning light, chasing a red ball " +
        "that a child has thrown as far as she can, while two cats watch from the wooden fence beside an old farmhouse " +
        "with a blue door, a stone chimney and a garden full of tall yellow sunflowers."
    /// From one token (BOS alone) to past 256 tokens.
    static let texts = ["", "cat", "A dog.", caption, paragraph, caption + " " + paragraph, Array(repeating: paragraph, count: 5).joined(separator: " ")]

    /// The pipeline of `backbone` as `variant`, and a cleanup for its bundle file.
    static func pipeline(_ backbone: String, _ variant: String) throws -> (EmbeddingPipeline, cleanup: () -> Void) {
        let dir = ReferenceCase.modelsRoot + "/" + backbone
        guard let plan = try #require(variants.first { $0.0 == variant }).1 else {
            return (try EmbeddingPipeline.load(directory: dir), {})
        }
        let (graph, _) = try ModelGraph.loadEmbeddingGraph(directory: dir, adapter: nil)
        let path = NSTemporaryDirectory() + "vlmembed-packed-\(getpid())-\(backbone)-\(variant).vlmb"
        try BundleWriter(plan: plan).write(graph, to: path)
        let pipeline = try EmbeddingPipeline(graph: try BundleFile(path: path).graph())
        return (pipeline, { try? FileManager.default.removeItem(atPath: path) })
    }

    /// The prompts prepared, with their token counts checked to cover 1, 2, ≥ 16, ~100 and > 256.
    static func items(_ pipeline: EmbeddingPipeline) throws -> [(id: String, input: PreparedInput)] {
        let items = try texts.enumerated().map { i, text in
            (id: "t\(i)", input: try pipeline.preprocess(id: "t\(i)", text: text, images: []).input)
        }
        let lengths = items.map { $0.input.inputIds.count }
        #expect(lengths.contains(1) && lengths.contains(2), "token counts \(lengths)")
        #expect(lengths.contains { (16...20).contains($0) } && lengths.contains { (80...130).contains($0) } && lengths.contains { $0 > 256 },
                "token counts \(lengths)")
        return items
    }

    /// Batches over `count` items: in order, reversed, interleaved, one alone, short ones (the
    /// direct kernels' row counts) with repeats, and long ones only.
    static func orders(_ lengths: [Int]) -> [[Int]] {
        let all = Array(lengths.indices)
        let short = all.filter { lengths[$0] < 3 }, long = all.filter { lengths[$0] >= 3 }
        let interleaved = all.map { ($0 * 5) % all.count }  // a permutation: 5 and the count (7) are coprime
        return [all, all.reversed(), interleaved, [all[all.count / 2]], short + short + [long[0]] + short, long]
    }

    static func withThreads<T>(_ n: Int, _ body: () throws -> T) rethrows -> T {
        let saved = Parallel.threadCount
        Parallel.setThreadCount(n)
        defer { Parallel.setThreadCount(saved) }
        return try body()
    }

    @Test(arguments: arguments)
    func packedEqualsSolo(backbone: String, variant: String) throws {
        let (pipeline, cleanup) = try Self.pipeline(backbone, variant)
        defer { cleanup() }
        let items = try Self.items(pipeline)
        var soloByThreads: [[[Float]]] = []
        for threads in [1, 2] {
            try Self.withThreads(threads) {
                let solo = try items.map { try pipeline.embed(id: $0.id, input: $0.input) }
                soloByThreads.append(solo)
                for order in Self.orders(items.map { $0.input.inputIds.count }) {
                    let packed = pipeline.embedPacked(order.map { items[$0] })
                    #expect(packed.count == order.count)
                    for (slot, i) in order.enumerated() {
                        let got = try packed[slot].get(), same = got == solo[i]
                        #expect(same && !got.isEmpty,
                                "\(backbone) \(variant) \(KernelISA.active) \(threads) threads, batch \(order): item \(i) (\(items[i].input.inputIds.count) tokens) differs from its solo embedding")
                    }
                }
            }
        }
        let sameAcrossThreads = soloByThreads.count == 2 && soloByThreads[0] == soloByThreads[1]
        print("PACKED \(backbone) \(variant) \(KernelISA.active): lengths \(items.map { $0.input.inputIds.count }); solo 1 vs 2 threads bit-identical: \(sameAcrossThreads)")
    }

    @Test(arguments: backbones)
    func badItemsFailAlone(backbone: String) throws {
        let (pipeline, cleanup) = try Self.pipeline(backbone, "int8")
        defer { cleanup() }
        let good = try Self.items(pipeline)
        let tooLong = PreparedInput(inputIds: Array(repeating: 100, count: pipeline.graph.config.decoder.maxPositions + 1))
        let batch: [(id: String, input: PreparedInput)] = [good[3], (id: "empty", input: PreparedInput(inputIds: [])), good[0],
                                                          (id: "long", input: tooLong), good[4], good[1]]
        let packed = pipeline.embedPacked(batch)
        for (i, item) in batch.enumerated() {
            let solo = Result { try pipeline.embed(id: item.id, input: item.input) }
            switch (packed[i], solo) {
            case (.success(let got), .success(let want)):
                let same = got == want
                #expect(same, "\(backbone): item \(item.id) differs from its solo embedding")
            case (.failure(let got), .failure(let want)):
                #expect("\(got)" == "\(want)" && "\(got)".contains("'\(item.id)'"), "\(backbone): \(item.id) failed with \(got), alone with \(want)")
            default:
                Issue.record("\(backbone): item \(item.id) packed \(packed[i]) but alone \(solo)")
            }
        }
        #expect(packed.filter { (try? $0.get()) == nil }.count == 2)
    }

    /// Inputs that cannot pack (images, image slots) run alone inside a packed batch.
    @Test func unpackableInputsRunAlone() throws {
        let pipeline = try EmbeddingPipeline.load(directory: ReferenceCase.modelsRoot + "/phi3_v")
        let image = try pipeline.preprocess(EmbeddingRequest(id: "img", text: "<|image_1|> Represent the given image.",
                                                             images: [ReferenceCase.referenceRoot + "/images/example.jpg"])).input
        let text = try pipeline.preprocess(id: "cap", text: Self.caption, images: []).input
        let slots = PreparedInput(inputIds: [1, -1, -1, 5])
        #expect(!EmbeddingPipeline.canPack(image) && !EmbeddingPipeline.canPack(slots) && EmbeddingPipeline.canPack(text))
        // (Image slots without images are not embedded here: Phi-3-V refuses them only after its vision path.)
        let batch: [(id: String, input: PreparedInput)] = [("cap", text), ("img", image), ("cap2", text)]
        let packed = pipeline.embedPacked(batch)
        for (i, item) in batch.enumerated() {
            let solo = Result { try pipeline.embed(id: item.id, input: item.input) }
            let same = (try? packed[i].get()) == (try? solo.get())
            #expect(same, "\(item.id): differs from its solo result")
            if case .failure(let want) = solo { #expect(packed[i].failureDescription == "\(want)") }
        }
    }
}

extension Result {
    var failureDescription: String? {
        if case .failure(let e) = self { return "\(e)" }
        return nil
    }
}
