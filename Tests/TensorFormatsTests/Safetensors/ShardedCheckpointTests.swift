import Foundation
import Testing
import TensorFormats

@Suite struct ShardedCheckpointTests {
    static let models = ["phi3_v", "llava_next"]
    /// Tensor and parameter counts from the safetensors Python package over the reference shards.
    static let expected: [String: (tensors: Int, parameters: Int, architecture: String)] = [
        "phi3_v": (66, 4_390_464, "Phi3VForCausalLM"),
        "llava_next": (65, 3_276_416, "LlavaNextForConditionalGeneration"),
    ]

    @Test(arguments: models)
    func referenceCheckpointInspects(model: String) throws {
        let source = try CheckpointOpener.open(TestPaths.fixtures + "/models/" + model)
        let report = InspectReport(path: model, source: source)
        let want = try #require(Self.expected[model])
        #expect(report.format == "safetensors")
        #expect(report.architecture == want.architecture)
        #expect(report.tensors.count == want.tensors)
        #expect(report.parameterCount == want.parameters)
        #expect(report.bytesByType.map { $0.0 } == ["BF16"])
        #expect(report.bytesByType.first?.1 == want.parameters * 2)
    }

    @Test(arguments: models)
    func shardedReadsTheSameAsItsSingleFileTwin(model: String) throws {
        let sharded = try CheckpointOpener.open(TestPaths.fixtures + "/models/" + model)
        let dir = try TestPaths.makeTemporaryDirectory("shard")
        let single = dir + "/model.safetensors"
        try SafetensorsExporter.export(sharded, to: single)
        let twin = try SafetensorsFile(path: single)
        #expect(Set(twin.tensors) == Set(sharded.tensors))
        for d in sharded.tensors {
            #expect(Array(try twin.tensorData(named: d.name).bytes) == Array(try sharded.tensorData(named: d.name).bytes))
        }
    }

    @Test(arguments: models)
    func exportToF32EqualsBF16Upcast(model: String) throws {
        let source = try CheckpointOpener.open(TestPaths.fixtures + "/models/" + model)
        let dir = try TestPaths.makeTemporaryDirectory("f32")
        let out = dir + "/f32.safetensors"
        try SafetensorsExporter.export(source, to: out, dtype: .f32)
        let exported = try SafetensorsFile(path: out)
        for d in source.tensors {
            let src = try source.tensorData(named: d.name).bytes
            let dst = try exported.tensorData(named: d.name)
            #expect(dst.descriptor.encoding == .dense(.f32))
            #expect(dst.descriptor.shape == d.shape)
            for i in 0..<d.elementCount {
                let bf = src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)
                let f = dst.bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)
                if f != UInt32(bf) << 16 { Issue.record("\(d.name)[\(i)]: \(f) != bf16 \(bf) upcast"); break }
            }
        }
    }

    @Test func indexNamingAMissingTensorIsRefused() throws {
        let dir = try TestPaths.makeTemporaryDirectory("idx")
        try SafetensorsWriter.write(to: dir + "/a.safetensors", tensors: [(TensorDescriptor(name: "x", shape: [1], encoding: .dense(.u8)), [1])])
        try #"{"metadata": {}, "weight_map": {"x": "a.safetensors", "y": "a.safetensors"}}"#
            .write(toFile: dir + "/model.safetensors.index.json", atomically: true, encoding: .utf8)
        let error = try #require(throws: FormatError.self) { try ShardedSafetensors(indexPath: dir + "/model.safetensors.index.json") }
        #expect(error.description.contains("'y'"))
        #expect(error.description.contains("model.safetensors.index.json"))
    }
}
