import Foundation
import Testing
import TensorFormats

@Suite struct SafetensorsRoundTripTests {
    /// Random bytes for a dtype; bool tensors get 0/1.
    static func randomBytes(_ dtype: DType, count: Int, rng: inout SplitMix64) -> [UInt8] {
        (0..<(count * dtype.byteSize)).map { _ in
            dtype == .bool ? UInt8.random(in: 0...1, using: &rng) : UInt8.random(in: 0...255, using: &rng)
        }
    }

    @Test(arguments: DType.allCases)
    func writeThenReadIsBitExact(dtype: DType) throws {
        var rng = SplitMix64(seed: 7)
        let dir = try TestPaths.makeTemporaryDirectory("st")
        let path = dir + "/rt.safetensors"
        let shapes: [[Int]] = [[3, 5], [7], [], [0, 4], [2, 3, 4]]
        var tensors: [(TensorDescriptor, [UInt8])] = []
        for (i, shape) in shapes.enumerated() {
            let d = TensorDescriptor(name: "t\(i).\(dtype.rawValue)", shape: shape, encoding: .dense(dtype))
            tensors.append((d, Self.randomBytes(dtype, count: d.elementCount, rng: &rng)))
        }
        // A second, wider dtype so the layout order matters.
        let wide = TensorDescriptor(name: "wide", shape: [4], encoding: .dense(.f64))
        tensors.append((wide, Self.randomBytes(.f64, count: 4, rng: &rng)))
        try SafetensorsWriter.write(to: path, tensors: tensors)

        let file = try SafetensorsFile(path: path)
        #expect(file.metadata == ["format": "pt"])
        #expect(file.tensors.count == tensors.count)
        for (d, bytes) in tensors {
            let back = try file.tensorData(named: d.name)
            #expect(back.descriptor == d)
            #expect(Array(back.bytes) == bytes, "bytes of \(d.name)")
        }
        // Header padded to 8 bytes; every tensor starts on a multiple of its element size.
        let raw = try Data(contentsOf: URL(fileURLWithPath: path))
        let n = raw.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        #expect((8 + n) % 8 == 0)
        for (i, d) in file.tensors.enumerated() {
            if case .dense(let t) = d.encoding { #expect(file.fileRanges[i].lowerBound % t.byteSize == 0) }
        }
    }

    @Test func floatCodecsRoundTrip() {
        // bf16/f16 → f32 → bf16/f16 is the identity on every non-NaN bit pattern.
        for bits in 0...UInt16.max {
            let b = FloatCodecs.bf16ToF32(bits)
            if !b.isNaN { #expect(FloatCodecs.f32ToBF16(b) == bits) }
            let h = FloatCodecs.f16ToF32(bits)
            if !h.isNaN { #expect(FloatCodecs.f32ToF16(h) == bits) }
        }
        // Round to nearest even at the halfway points.
        #expect(FloatCodecs.f32ToBF16(Float(bitPattern: 0x3F80_8000)) == 0x3F80)
        #expect(FloatCodecs.f32ToBF16(Float(bitPattern: 0x3F81_8000)) == 0x3F82)
        #expect(FloatCodecs.f32ToF16(65520) == 0x7C00)
        #expect(FloatCodecs.f32ToF16(Float(bitPattern: 0x3380_0000)) == 0x0001) // 2^-24, the smallest subnormal
        #expect(FloatCodecs.f32ToF16(Float(bitPattern: 0x3300_0001)) == 0x0001) // just above half of it
        #expect(FloatCodecs.f32ToF16(Float(bitPattern: 0x3300_0000)) == 0x0000) // exactly half: ties to even (0)
        #expect(FloatCodecs.f32ToF16(Float(bitPattern: 0x3340_0000)) == 0x0001) // 0.75 of it rounds up
    }

    @Test func failedProducerLeavesNoOutput() throws {
        let dir = try TestPaths.makeTemporaryDirectory("st")
        let path = dir + "/partial.safetensors"
        let d = TensorDescriptor(name: "a", shape: [4], encoding: .dense(.f32))
        #expect(throws: FormatError.self) {
            try SafetensorsWriter.write(to: path, tensors: [d]) { _, out in try out.write([1, 2, 3]) }
        }
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty, "no temporary left behind")
    }

    @Test func staleTemporaryFromKilledWriterIsRemoved() throws {
        let dir = try TestPaths.makeTemporaryDirectory("st")
        let path = dir + "/out.safetensors"
        // PID 2^22+1 exceeds Linux's pid_max default, so no such process exists.
        let stale = dir + "/.out.safetensors.vlmembed-tmp-4194305"
        try TestPaths.write([1, 2, 3], to: stale)
        try SafetensorsWriter.write(to: path, tensors: [(TensorDescriptor(name: "a", shape: [1], encoding: .dense(.u8)), [9])])
        #expect(!FileManager.default.fileExists(atPath: stale))
        #expect(FileManager.default.fileExists(atPath: path))
    }
}
