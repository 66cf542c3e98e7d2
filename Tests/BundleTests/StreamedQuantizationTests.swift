import Runtime
import Foundation
import Testing
import Bundle
import Kernels
import ModelGraph
import TensorFormats

/// The writer quantizes int8/int4 tensors a tile of rows at a time, straight from the mapped
/// bf16 checkpoint: every quantized section equals `WeightQuantizer.quantize` of the whole source
/// matrix (itself checked against the oracle and the reference quantizations), and the range
/// checks it applies afterwards refuse what the up-front checks refused, with the same messages.
@Suite(.serialized) struct StreamedQuantizationTests {
    static let model = BundleFormatTests.model
    static let weight = "model.layers.0.mlp.down_proj.weight"  // bf16 [64, 128] in the second shard
    static let canonical = "decoder.layers.0.mlp.down_proj.weight"

    @Test func sectionsEqualTheWholeMatrixQuantizer() throws {
        let plans = [QuantizationPlan(decoder: .int4(group: 32, asymmetric: false)),
                     QuantizationPlan(decoder: .int4(group: 64, asymmetric: true), vision: .int4(group: 32, asymmetric: false)),
                     QuantizationPlan(decoder: .int4(group: 128, asymmetric: false), vision: .int8)]
        let source = try ModelGraph.load(directory: Self.model)
        for plan in plans {
            let path = BundleFormatTests.temporaryPath("streamed.vlmb")
            let (graph, _) = try ModelSource.openEmbeddingGraph(Self.model)
            try BundleWriter(plan: plan).write(graph, to: path)
            let bundle = try BundleFile(path: path)
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            var checked = 0
            for entry in bundle.manifest.tensors where entry.scheme.isQuantized {
                let values = try source.floats(entry.name)
                let q = values.withUnsafeBufferPointer { WeightQuantizer.quantize($0, rows: entry.rows, columns: entry.columns, scheme: entry.scheme) }
                func section(_ s: BundleSection?) -> [UInt8] { s.map { Array(bytes[$0.offset..<($0.offset + $0.length)]) } ?? [] }
                #expect(section(entry.data) == q.data, "\(entry.name) \(entry.scheme.name): data")
                #expect(section(entry.scales) == q.scales, "\(entry.name) \(entry.scheme.name): scales")
                #expect(section(entry.zeros) == q.zeros, "\(entry.name) \(entry.scheme.name): zeros")
                checked += 1
            }
            #expect(checked > 20)
            #expect(bundle.verifyChecksums().isEmpty)
        }
    }

    /// A copy of the fixture model with element `index` of `weight` set to the bf16 `bits`.
    static func modelWith(bits: UInt16, at index: Int) throws -> String {
        let dir = BundleFormatTests.temporaryPath("patched-\(bits)-\(index)")
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.copyItem(atPath: model, toPath: dir)
        let shard = dir + "/model-00002-of-00002.safetensors"
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: shard)))
        let headerLength = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let header = try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + headerLength)])) as? [String: Any]
        let info = try #require(header?[weight] as? [String: Any])
        let offsets = try #require(info["data_offsets"] as? [Int])
        let at = 8 + headerLength + offsets[0] + 2 * index
        bytes[at] = UInt8(bits & 0xFF)
        bytes[at + 1] = UInt8(bits >> 8)
        try Data(bytes).write(to: URL(fileURLWithPath: shard))
        return dir
    }

    static func convert(_ dir: String, _ plan: QuantizationPlan) throws -> String {
        let path = dir + ".vlmb"
        let (graph, _) = try ModelSource.openEmbeddingGraph(dir)
        try BundleWriter(plan: plan).write(graph, to: path)
        return path
    }

    @Test func nonFiniteWeightsAreRefused() throws {
        for (bits, index) in [(UInt16(0x7FC0), 0), (0x7F80, 77), (0xFF80, 64 * 128 - 1)] {
            let dir = try Self.modelWith(bits: bits, at: index)
            for scheme in [QuantScheme.int8, .int4(group: 32, asymmetric: false), .int4(group: 64, asymmetric: true)] {
                let error = try #require(throws: FormatError.self) { try Self.convert(dir, QuantizationPlan(decoder: scheme)) }
                #expect(error.file == Self.canonical)
                #expect(error.problem == "has non-finite values; cannot quantize to \(scheme.name)", "\(error)")
                #expect(!FileManager.default.fileExists(atPath: dir + ".vlmb"))
            }
        }
    }

    @Test func weightsBeyondTheFloat16ScalesAreRefusedForInt4Only() throws {
        // 2^20 as bf16: max |w| / 7 and the range / 15 both overflow float16.
        let dir = try Self.modelWith(bits: 0x4980, at: 300)
        for scheme in [QuantScheme.int4(group: 32, asymmetric: false), .int4(group: 128, asymmetric: true)] {
            let error = try #require(throws: FormatError.self) { try Self.convert(dir, QuantizationPlan(decoder: scheme)) }
            #expect(error.file == Self.canonical)
            #expect(error.problem == "values reach 1048576.0: too large for \(scheme.name)'s f16 scales (use int8 or f16)", "\(error)")
        }
        let path = try Self.convert(dir, QuantizationPlan(decoder: .int8))
        #expect(try BundleFile(path: path).verifyChecksums().isEmpty)
    }
}
