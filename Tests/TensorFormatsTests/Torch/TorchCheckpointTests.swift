import Foundation
import Testing
@testable import TensorFormats

@Suite("PyTorch checkpoints: reading")
struct TorchCheckpointTests {
    @Test("every tensor reads bit-exact, in pickle order", arguments: ["state_dict.bin", "state_dict_p4.bin", "zip64.bin"])
    func bitExact(file: String) throws {
        let ckpt = try TorchCheckpoint(path: TorchFixtures.path(file))
        let expected = TorchFixtures.expected.tensors
        #expect(expected.count >= 20)
        #expect(ckpt.tensors.map(\.name) == expected.map(\.name))
        for e in expected {
            let d = try #require(ckpt.descriptor(named: e.name))
            #expect(d.shape == e.shape, "\(e.name)")
            #expect(d.encoding.name == e.dtype, "\(e.name)")
            let data = try ckpt.tensorData(named: e.name)
            #expect(data.bytes.count == e.hex.count / 2, "\(e.name)")
            #expect(TorchFixtures.hex(data.bytes) == e.hex, "\(e.name)")
        }
    }

    @Test func sourceProperties() throws {
        let ckpt = try TorchCheckpoint(path: TorchFixtures.path("state_dict.bin"))
        #expect(ckpt.formatName == "pytorch")
        #expect(ckpt.architecture == nil)
        #expect(ckpt.archivePrefix == "state_dict")
        let names = Set(ckpt.tensors.map(\.name))
        for n in ["bf16", "f16", "f32", "f64", "i64", "i32", "i16", "i8", "u8", "bool", "u16", "f8e4m3",
                  "nested.layer.weight", "nested.layer.bias", "nested.scale", "scalar", "empty",
                  "param", "module.weight", "module.bias"] {
            #expect(names.contains(n), "\(n)")
        }
        #expect(ckpt.descriptor(named: "scalar")?.shape == [])
        #expect(ckpt.descriptor(named: "empty")?.shape == [0, 3])
        #expect(try ckpt.tensorData(named: "empty").bytes.count == 0)
        #expect(try ckpt.floats(named: "scalar") == [3.25])
        #expect(try ckpt.floats(named: "shared_strided") == [-0.5, 1.0, 2.5, 4.0])
        #expect(try ckpt.floats(named: "expanded") == [1, 2, 3, 1, 2, 3])
        #expect(ckpt.torchTensor(named: "param")?.requiresGrad == true)
        TorchFixtures.expectFormatError { _ = try ckpt.tensorData(named: "nope") }
    }

    @Test func contiguousTensorsAreViewsOfTheMap() throws {
        let ckpt = try TorchCheckpoint(path: TorchFixtures.path("state_dict.bin"))
        let map = ckpt.archive.file.bytes
        let mapRange = UInt(bitPattern: map.baseAddress)..<(UInt(bitPattern: map.baseAddress) + UInt(map.count))
        for name in ["bf16", "f32", "shared_slice", "nested.layer.weight"] {
            let data = try ckpt.tensorData(named: name)
            #expect(mapRange.contains(UInt(bitPattern: data.bytes.baseAddress)), "\(name) was copied")
        }
        for name in ["transposed", "shared_strided", "expanded"] {
            let t = try #require(ckpt.torchTensor(named: name))
            #expect(!t.isContiguous, "\(name)")
            let data = try ckpt.tensorData(named: name)
            #expect(!mapRange.contains(UInt(bitPattern: data.bytes.baseAddress)), "\(name) should be gathered")
        }
    }

    @Test func sharedStorageAndOffsets() throws {
        let ckpt = try TorchCheckpoint(path: TorchFixtures.path("state_dict.bin"))
        let whole = try #require(ckpt.torchTensor(named: "shared_whole"))
        let slice = try #require(ckpt.torchTensor(named: "shared_slice"))
        let strided = try #require(ckpt.torchTensor(named: "shared_strided"))
        #expect(whole.storage.key == slice.storage.key && slice.storage.key == strided.storage.key)
        #expect(whole.storage.elementCount == 12)
        #expect(slice.storageOffset == 4)
        #expect(strided.storageOffset == 1 && strided.strides == [3])
        let t = try #require(ckpt.torchTensor(named: "transposed"))
        #expect(t.shape == [5, 3] && t.strides == [1, 5])
        let u16 = try #require(ckpt.torchTensor(named: "u16"))
        #expect(u16.storage.dtype == nil) // UntypedStorage + _rebuild_tensor_v3
        #expect(u16.dtype == .u16)
    }

    @Test func nonTensorLeavesStayAccessible() throws {
        let ckpt = try TorchCheckpoint(path: TorchFixtures.path("state_dict.bin"))
        let others = Dictionary(ckpt.otherValues.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        #expect(others["step"] == .int(7))
        #expect(others["name"] == .string("fixture"))
        #expect(others["lr"] == .float(0.5))
        // 2**70 as LONG1: little-endian two's complement.
        #expect(others["big"] == .bigInt([0, 0, 0, 0, 0, 0, 0, 0, 0x40]))
        #expect(others["flags"] == .list([.int(1), .int(2), .none, .bool(true)]))
        // nn.Module.state_dict(): an OrderedDict whose _metadata arrives through BUILD.
        guard case .dict(let root) = ckpt.root, case .dict(let module)? = root["module"] else {
            Issue.record("module state dict missing"); return
        }
        #expect(module.isOrderedDict)
        guard case .dict(let attrs)? = module.attributes, case .dict? = attrs["_metadata"] else {
            Issue.record("module _metadata missing"); return
        }
    }
}
