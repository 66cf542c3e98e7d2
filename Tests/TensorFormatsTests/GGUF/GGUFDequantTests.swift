import Foundation
import Testing
@testable import TensorFormats

/// Dequantization of every supported type, bit-identical to gguf-py 0.19.0
/// (`Fixtures/gguf/dequant_a*.gguf` + `.expected.f32`, made by Tools/make_gguf_fixtures.py).
@Suite struct GGUFDequantTests {
    static let expectedTypes: Set<String> = [
        "F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1",
        "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS",
    ]

    @Test(arguments: [("dequant_a32", 32), ("dequant_a64", 64)])
    func bitIdenticalToGGUFPy(name: String, alignment: Int) throws {
        let file = try GGUFFile(path: GGUFTestSupport.fixture(name + ".gguf"))
        let expected = try GGUFTestSupport.readF32(GGUFTestSupport.fixture(name + ".expected.f32"))
        #expect(file.alignment == alignment)
        #expect(file.version == 3)
        #expect(file.formatName == "gguf")
        #expect(file.architecture == "fixture")
        #expect(file.dataOffset % alignment == 0)

        var seenTypes = Set<String>()
        var cursor = 0
        for info in file.tensorInfos {
            seenTypes.insert(info.type.name)
            // Names are "<type>.<numpy shape>", e.g. "q4_k.2x256"; descriptors use that (PyTorch) order.
            let shape = info.name.split(separator: ".")[1].split(separator: "x").map { Int($0)! }
            let descriptor = try #require(file.descriptor(named: info.name))
            #expect(descriptor.shape == shape, "\(info.name)")
            #expect(info.ne == shape.reversed(), "\(info.name)")
            #expect(descriptor.encoding == info.type.encoding)
            #expect(info.offset % alignment == 0)

            let values = try file.floats(named: info.name)
            #expect(values.count == descriptor.elementCount)
            let want = expected[cursor..<(cursor + values.count)]
            cursor += values.count
            var mismatches = 0
            var first = ""
            for (i, (a, b)) in zip(values, want).enumerated() where a.bitPattern != b.bitPattern {
                if mismatches == 0 { first = "element \(i): got \(a) (0x\(String(a.bitPattern, radix: 16))), want \(b) (0x\(String(b.bitPattern, radix: 16)))" }
                mismatches += 1
            }
            #expect(mismatches == 0, "\(name) \(info.name): \(mismatches) mismatching elements; first \(first)")
        }
        #expect(cursor == expected.count)
        #expect(seenTypes == Self.expectedTypes)
    }

    @Test func tensorDataIsZeroCopyView() throws {
        let file = try GGUFFile(path: GGUFTestSupport.fixture("dequant_a32.gguf"))
        let info = try #require(file.tensorInfos.first { $0.type == .q4_K })
        let data = try file.tensorData(named: info.name)
        #expect(data.bytes.count == info.byteCount)
        let raw = try GGUFTestSupport.readBytes(file.path)
        let start = file.dataOffset + info.offset
        #expect(Array(data.bytes) == Array(raw[start..<(start + info.byteCount)]))
    }

    @Test func unsupportedTypeIsAFormatError() throws {
        let bytes = [UInt8](repeating: 0, count: 66)
        do {
            _ = try bytes.withUnsafeBytes { try GGMLDequantizer.dequantize($0, type: .iq2_xxs, count: 256) }
            Issue.record("IQ2_XXS should be unsupported")
        } catch let e as FormatError {
            #expect(e.problem == "unsupported ggml type 16 (IQ2_XXS)")
        }
        #expect(!GGMLDequantizer.isSupported(.q8_1))
        #expect(GGMLDequantizer.isSupported(.q8_K))
    }

    @Test func shortBufferAndPartialBlockAreErrors() throws {
        let bytes = [UInt8](repeating: 0, count: 17)
        #expect(throws: FormatError.self) {
            _ = try bytes.withUnsafeBytes { try GGMLDequantizer.dequantize($0, type: .q4_0, count: 32) }
        }
        #expect(throws: FormatError.self) {
            _ = try bytes.withUnsafeBytes { try GGMLDequantizer.dequantize($0, type: .q4_0, count: 16) }
        }
    }

    /// Q8_K has no gguf-py reference; check the formula `d(f32) * q` by hand.
    @Test func q8K() throws {
        var block = [UInt8](repeating: 0, count: 292)
        withUnsafeBytes(of: Float(0.25).bitPattern.littleEndian) { block.replaceSubrange(0..<4, with: $0) }
        for j in 0..<256 { block[4 + j] = UInt8(bitPattern: Int8(truncatingIfNeeded: j - 128)) }
        let out = try block.withUnsafeBytes { try GGMLDequantizer.dequantize($0, type: .q8_K, count: 256) }
        #expect(out == (0..<256).map { Float($0 - 128) * 0.25 })
    }

    /// The parallel path (large tensors) gives the same result as the serial one.
    @Test func parallelMatchesSerial() throws {
        let file = try GGUFFile(path: GGUFTestSupport.fixture("dequant_a32.gguf"))
        for type in [GGMLType.q4_K, .q6_K, .q8_0] {
            let info = try #require(file.tensorInfos.first { $0.type == type })
            let block = Array(try file.tensorData(named: info.name).bytes)
            // Repeat the tensor's blocks until past the parallel threshold.
            let reps = GGMLDequantizer.parallelThreshold / info.elementCount + 2
            var big: [UInt8] = []
            for _ in 0..<reps { big += block }
            let n = reps * info.elementCount
            let all = try big.withUnsafeBytes { try GGMLDequantizer.dequantize($0, type: type, count: n) }
            let one = try block.withUnsafeBytes { try GGMLDequantizer.dequantize($0, type: type, count: info.elementCount) }
            for r in [0, reps / 2, reps - 1] {
                let slice = all[(r * info.elementCount)..<((r + 1) * info.elementCount)]
                #expect(slice.map(\.bitPattern) == one.map(\.bitPattern))
            }
        }
    }
}
