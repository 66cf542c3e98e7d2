import Foundation
import Testing
@testable import TensorFormats

/// GGUFWriter round trips and the Q8_0/Q4_0 quantizers against gguf-py bytes.
@Suite struct GGUFWriterTests {
    /// Deterministic pseudo-random floats (xorshift), scaled per row.
    static func randomFloats(_ n: Int, seed: UInt64) -> [Float] {
        var s = seed | 1
        return (0..<n).map { i in
            s ^= s << 13; s ^= s >> 7; s ^= s << 17
            let u = Float(s >> 40) / Float(1 << 24) - 0.5
            return u * (i % 64 < 32 ? 4 : 0.01)
        }
    }

    @Test(arguments: ["quant_q8_0.bin", "quant_q4_0.bin"])
    func quantizerMatchesGGUFPy(reference: String) throws {
        let input = try GGUFTestSupport.readF32(GGUFTestSupport.fixture("quant_input.f32"))
        let want = try GGUFTestSupport.readBytes(GGUFTestSupport.fixture(reference))
        let got = reference.contains("q8_0") ? GGMLQuantizer.quantizeQ8_0(input) : GGMLQuantizer.quantizeQ4_0(input)
        #expect(got.count == want.count)
        let blockBytes = reference.contains("q8_0") ? 34 : 18
        let bad = (0..<(want.count / blockBytes)).filter {
            got[($0 * blockBytes)..<(($0 + 1) * blockBytes)] != want[($0 * blockBytes)..<(($0 + 1) * blockBytes)]
        }
        #expect(bad.isEmpty, "mismatching blocks: \(bad.prefix(10))")
    }

    /// gguf-py's dequant fixtures, re-written from their raw bytes, come out byte-identical.
    @Test(arguments: ["dequant_a32.gguf", "dequant_a64.gguf"])
    func rewriteIsByteIdentical(name: String) throws {
        let source = GGUFTestSupport.fixture(name)
        let file = try GGUFFile(path: source)
        let out = try GGUFTestSupport.tempDir().appendingPathComponent(name).path
        let w = try GGUFWriter(path: out, metadata: file.metadataEntries,
                               tensors: file.tensorInfos.map { GGUFTensorSpec(name: $0.name, shape: $0.shape, type: $0.type) },
                               alignment: file.alignment)
        for info in file.tensorInfos {
            #expect(w.nextTensor?.name == info.name)
            try w.writeTensor(encoded: try file.tensorData(named: info.name).bytes)
        }
        #expect(w.nextTensor == nil)
        try w.finish()
        #expect(try GGUFTestSupport.readBytes(out) == GGUFTestSupport.readBytes(source))
    }

    /// F32, F16, BF16, Q8_0 and Q4_0 written from floats read back with identical bytes and values.
    @Test(arguments: [32, 64, 128])
    func floatRoundTrip(alignment: Int) throws {
        let types: [GGMLType] = [.f32, .f16, .bf16, .q8_0, .q4_0]
        let shapes: [[Int]] = [[3, 64], [2, 2, 32], [96]]
        var specs: [GGUFTensorSpec] = []
        var inputs: [String: [Float]] = [:]
        for (ti, t) in types.enumerated() {
            for (si, shape) in shapes.enumerated() {
                let spec = GGUFTensorSpec(name: "\(t.name.lowercased()).\(si)", shape: shape, type: t)
                specs.append(spec)
                inputs[spec.name] = Self.randomFloats(spec.elementCount, seed: UInt64(100 * ti + si + alignment))
            }
        }
        let out = try GGUFTestSupport.tempDir().appendingPathComponent("rt.gguf").path
        let w = try GGUFWriter(path: out, metadata: [("general.architecture", .string("rt")), ("general.name", .string("round trip"))],
                               tensors: specs, alignment: alignment)
        for s in specs { try w.writeTensor(floats: inputs[s.name]!) }
        try w.finish()

        let file = try GGUFFile(path: out)
        #expect(file.alignment == alignment)
        #expect(file.architecture == "rt")
        #expect(file.uint("general.alignment") == (alignment == 32 ? nil : UInt64(alignment)))
        #expect(file.tensorInfos.count == specs.count)
        for s in specs {
            let x = inputs[s.name]!
            let info = try #require(file.tensorInfo(named: s.name))
            #expect(info.type == s.type && info.shape == s.shape && info.offset % alignment == 0)
            let data = try file.tensorData(named: s.name)
            let expectedBytes: [UInt8]
            switch s.type {
            case .f32: expectedBytes = DenseCodec.encode(x, as: .f32)
            case .f16: expectedBytes = DenseCodec.encode(x, as: .f16)
            case .bf16: expectedBytes = DenseCodec.encode(x, as: .bf16)
            case .q8_0: expectedBytes = GGMLQuantizer.quantizeQ8_0(x)
            default: expectedBytes = GGMLQuantizer.quantizeQ4_0(x)
            }
            #expect(Array(data.bytes) == expectedBytes, "\(s.name)")
            let values = try data.floats()
            let decoded = try expectedBytes.withUnsafeBytes { try GGMLDequantizer.dequantize($0, type: s.type, count: x.count) }
            #expect(values.map(\.bitPattern) == decoded.map(\.bitPattern), "\(s.name)")
            if s.type == .f32 { #expect(values.map(\.bitPattern) == x.map(\.bitPattern)) }
            if s.type == .q8_0 || s.type == .q4_0 {
                // Quantization error stays within one step of the block scale.
                let maxErr = zip(values, x).map { abs($0 - $1) }.max() ?? 0
                #expect(maxErr < 0.6, "\(s.name): max error \(maxErr)")
            }
        }
    }

    @Test func writerErrors() throws {
        let dir = try GGUFTestSupport.tempDir()
        let path = dir.appendingPathComponent("w.gguf").path
        // ne[0] not a multiple of the block size.
        #expect(throws: FormatError.self) {
            _ = try GGUFWriter(path: path, metadata: [], tensors: [GGUFTensorSpec(name: "x", shape: [2, 33], type: .q8_0)])
        }
        // Name too long, too many dims, bad alignment.
        #expect(throws: FormatError.self) {
            _ = try GGUFWriter(path: path, metadata: [], tensors: [GGUFTensorSpec(name: String(repeating: "n", count: 64), shape: [1], type: .f32)])
        }
        #expect(throws: FormatError.self) {
            _ = try GGUFWriter(path: path, metadata: [], tensors: [GGUFTensorSpec(name: "x", shape: [1, 1, 1, 1, 1], type: .f32)])
        }
        #expect(throws: FormatError.self) {
            _ = try GGUFWriter(path: path, metadata: [], tensors: [], alignment: 48)
        }
        // Wrong value count, wrong byte count, unsupported float encoding, missing tensors.
        let w = try GGUFWriter(path: path, metadata: [], tensors: [
            GGUFTensorSpec(name: "a", shape: [32], type: .f32),
            GGUFTensorSpec(name: "b", shape: [256], type: .q4_K),
        ])
        #expect(throws: FormatError.self) { try w.writeTensor(floats: [Float](repeating: 0, count: 31)) }
        #expect(throws: FormatError.self) { try w.writeTensor(encoded: [UInt8](repeating: 0, count: 127)) }
        try w.writeTensor(floats: [Float](repeating: 1, count: 32))
        #expect(throws: FormatError.self) { try w.writeTensor(floats: [Float](repeating: 0, count: 256)) }
        #expect(throws: FormatError.self) { try w.finish() }
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}
