import Foundation
import Testing
@testable import TensorFormats

/// Hostile and unusual headers, built byte by byte. Every rejection must be a one-line
/// `FormatError` naming the file; nothing may crash.
@Suite struct GGUFHostileTests {
    typealias S = GGUFTestSupport

    /// A valid file with one Q4_0 tensor (ne=[32, 2]) at offset 0, for mutations.
    static func oneTensor(ne: [UInt64] = [32, 2], type: UInt32 = 2, offset: UInt64 = 0, dims: [UInt64]? = nil, dataBytes: Int = 36) -> [UInt8] {
        var b = GGUFBytes(tensors: 1, kvs: 1)
        b.kvString("general.architecture", "llama")
        b.tensorInfo("w", ne: dims ?? ne, type: type, offset: offset)
        b.pad()
        b.zeros(dataBytes)
        return b.bytes
    }

    @Test func validBaselineOpens() throws {
        let path = try S.tempFile(Self.oneTensor())
        let f = try GGUFFile(path: path)
        #expect(f.tensors == [TensorDescriptor(name: "w", shape: [2, 32], encoding: .ggml(.q4_0))])
        #expect(try f.floats(named: "w") == [Float](repeating: 0, count: 64))
        #expect(throws: FormatError.self) { try f.tensorData(named: "nope") }
    }

    @Test func wrongMagic() throws {
        var b = GGUFBytes(tensors: 0, kvs: 0, magic: Array("GGML".utf8))
        b.pad()
        try S.expectRejected(b.bytes, "not a GGUF file")
        try S.expectRejected([0x47, 0x47], "truncated")
        try S.expectRejected([], "truncated")
    }

    @Test(arguments: [
        (UInt32(0), "invalid GGUF version 0"),
        (UInt32(1), "GGUF version 1 is not supported"),
        (UInt32(4), "unsupported GGUF version 4"),
        (UInt32(0x0300_0000), "byte-order mismatch"),
    ])
    func badVersion(version: UInt32, message: String) throws {
        try S.expectRejected(GGUFBytes(version: version, tensors: 0, kvs: 0).bytes, message)
    }

    @Test func version2IsAccepted() throws {
        var b = GGUFBytes(version: 2, tensors: 0, kvs: 1)
        b.kvU32("x.y", 7)
        let f = try GGUFFile(path: try S.tempFile(b.bytes))
        #expect(f.version == 2)
        #expect(f.uint("x.y") == 7)
    }

    @Test func absurdCounts() throws {
        try S.expectRejected(GGUFBytes(tensors: UInt64.max, kvs: 0).bytes, "tensor count")
        try S.expectRejected(GGUFBytes(tensors: 1 << 40, kvs: 0).bytes, "tensor count")
        try S.expectRejected(GGUFBytes(tensors: 0, kvs: UInt64.max).bytes, "metadata count")
        var b = GGUFBytes(tensors: 3, kvs: 0)
        b.zeros(40)  // room for one tensor info, not three
        try S.expectRejected(b.bytes, "tensor count 3 is impossible")
    }

    @Test func stringsPastEOF() throws {
        var key = GGUFBytes(tensors: 0, kvs: 1)
        key.u64(1000); key.bytes += Array("abc".utf8); key.zeros(20)
        try S.expectRejected(key.bytes, "key of metadata entry 0 has length 1000")

        var value = GGUFBytes(tensors: 0, kvs: 1)
        value.str("k"); value.u32(8); value.u64(UInt64.max)
        try S.expectRejected(value.bytes, "metadata 'k' has length")

        var name = GGUFBytes(tensors: 1, kvs: 0)
        name.u64(1 << 62); name.zeros(30)
        try S.expectRejected(name.bytes, "name of tensor 0 has length")
    }

    @Test func badArrays() throws {
        var huge = GGUFBytes(tensors: 0, kvs: 1)
        huge.str("a"); huge.u32(9); huge.u32(10); huge.u64(1 << 60)
        try S.expectRejected(huge.bytes, "claims \(1 << 60) UINT64 elements")

        var badType = GGUFBytes(tensors: 0, kvs: 1)
        badType.str("a"); badType.u32(9); badType.u32(77); badType.u64(1)
        try S.expectRejected(badType.bytes, "invalid value type 77")

        // Nesting deeper than the limit: each level is an ARRAY of one ARRAY.
        var deep = GGUFBytes(tensors: 0, kvs: 1)
        deep.str("a"); deep.u32(9)
        for _ in 0..<100 { deep.u32(9); deep.u64(1) }
        deep.u32(0); deep.u64(0)
        try S.expectRejected(deep.bytes, "nests arrays deeper")
    }

    @Test func badKeysAndValues() throws {
        var empty = GGUFBytes(tensors: 0, kvs: 1)
        empty.str(""); empty.u32(0); empty.u8(0); empty.zeros(8)
        try S.expectRejected(empty.bytes, "empty key")

        var dup = GGUFBytes(tensors: 0, kvs: 2)
        dup.kvU32("a.b", 1); dup.kvU32("a.b", 2)
        try S.expectRejected(dup.bytes, "duplicate metadata key 'a.b'")

        var type = GGUFBytes(tensors: 0, kvs: 1)
        type.str("k"); type.u32(13); type.u64(0)
        try S.expectRejected(type.bytes, "invalid value type 13")

        var truncated = GGUFBytes(tensors: 0, kvs: 1)
        truncated.str("k"); truncated.u32(10); truncated.u32(0)
        try S.expectRejected(truncated.bytes, "truncated")
    }

    @Test func badAlignment() throws {
        for (value, message) in [(UInt32(0), "not a nonzero power of 2"), (48, "not a nonzero power of 2")] {
            var b = GGUFBytes(tensors: 0, kvs: 1)
            b.kvU32("general.alignment", value)
            try S.expectRejected(b.bytes, message)
        }
        var wrongType = GGUFBytes(tensors: 0, kvs: 1)
        wrongType.str("general.alignment"); wrongType.u32(10); wrongType.u64(32)
        try S.expectRejected(wrongType.bytes, "general.alignment has type UINT64, expected UINT32")
    }

    @Test func badTensorInfos() throws {
        try S.expectRejected(Self.oneTensor(type: 99), "unknown ggml type 99")
        try S.expectRejected(Self.oneTensor(type: 4), "unknown ggml type 4")  // removed Q4_2
        try S.expectRejected(Self.oneTensor(offset: 16), "offset 16 is not a multiple of the alignment 32")
        try S.expectRejected(Self.oneTensor(dims: [32, 1, 1, 1, 1]), "has 5 dimensions")
        try S.expectRejected(Self.oneTensor(ne: [48, 2]), "ne[0] = 48 is not a multiple of the Q4_0 block size 32")
        try S.expectRejected(Self.oneTensor(ne: [32, UInt64.max]), "negative dimension")
        try S.expectRejected(Self.oneTensor(ne: [1 << 40, 1 << 40], type: 0), "overflows")
        try S.expectRejected(Self.oneTensor(dataBytes: 35), "ends past the end of the file")
        try S.expectRejected(Self.oneTensor(offset: 1 << 62), "ends past the end of the file")

        var long = GGUFBytes(tensors: 1, kvs: 0)
        long.tensorInfo(String(repeating: "x", count: 64), ne: [1], type: 0, offset: 0)
        long.pad(); long.zeros(4)
        try S.expectRejected(long.bytes, "the limit is 63")
    }

    @Test func duplicateAndOverlappingTensors() throws {
        var dup = GGUFBytes(tensors: 2, kvs: 0)
        dup.tensorInfo("a", ne: [8], type: 0, offset: 0)
        dup.tensorInfo("a", ne: [8], type: 0, offset: 32)
        dup.pad(); dup.zeros(64)
        try S.expectRejected(dup.bytes, "duplicate tensor name 'a'")

        var overlap = GGUFBytes(tensors: 2, kvs: 0)
        overlap.tensorInfo("a", ne: [16], type: 0, offset: 0)   // 64 bytes
        overlap.tensorInfo("b", ne: [8], type: 0, offset: 32)
        overlap.pad(); overlap.zeros(96)
        try S.expectRejected(overlap.bytes, "overlap")
    }

    /// Any aligned, non-overlapping layout is accepted: gaps, reverse order, empty tensors.
    @Test func gapsAndOrderAreAccepted() throws {
        var b = GGUFBytes(tensors: 3, kvs: 0)
        b.tensorInfo("late", ne: [4], type: 0, offset: 128)
        b.tensorInfo("early", ne: [2], type: 0, offset: 0)
        b.tensorInfo("empty", ne: [0, 3], type: 8, offset: 4096)
        b.pad()
        let dataStart = b.bytes.count
        b.zeros(144)
        func put(_ v: [Float], at o: Int) {
            for (i, f) in v.enumerated() {
                withUnsafeBytes(of: f.bitPattern.littleEndian) { b.bytes.replaceSubrange((dataStart + o + 4 * i)..<(dataStart + o + 4 * i + 4), with: $0) }
            }
        }
        put([1, 2, 3, 4], at: 128)
        put([-1, -2], at: 0)
        let f = try GGUFFile(path: try S.tempFile(b.bytes))
        #expect(try f.floats(named: "late") == [1, 2, 3, 4])
        #expect(try f.floats(named: "early") == [-1, -2])
        #expect(try f.floats(named: "empty") == [])
        #expect(f.descriptor(named: "empty")?.shape == [3, 0])
    }

    /// Every truncation of a valid file is rejected cleanly (in memory for every length,
    /// through a real file for a few).
    @Test func everyTruncationIsRejected() throws {
        let full = try S.readBytes(S.fixture("metadata.gguf"))
        // Trailing padding after the last tensor is not needed: the file is complete once the data is.
        let f = try GGUFFile(path: S.fixture("metadata.gguf"))
        let needed = f.dataOffset + (f.tensorInfos.map { $0.offset + $0.byteCount }.max() ?? 0)
        for n in 0..<needed {
            full.withUnsafeBytes { raw in
                let prefix = UnsafeRawBufferPointer(rebasing: raw[0..<n])
                #expect(throws: FormatError.self, "prefix \(n)") {
                    _ = try GGUFHeaderParser.parse(prefix, path: "t.gguf")
                }
            }
        }
        for n in [0, 3, 23, 24, 100, f.dataOffset - 1, needed - 1] {
            try S.expectRejected(Array(full[0..<n]), "")
        }
        try full.withUnsafeBytes { raw in
            _ = try GGUFHeaderParser.parse(UnsafeRawBufferPointer(rebasing: raw[0..<needed]), path: "t.gguf")
        }
    }

    /// Flipping bytes of the header never crashes: each mutant opens or throws a FormatError.
    @Test func byteFlipsNeverCrash() throws {
        let full = try S.readBytes(S.fixture("metadata.gguf"))
        let headerEnd = try GGUFFile(path: S.fixture("metadata.gguf")).dataOffset
        for i in 0..<headerEnd {
            for value: UInt8 in [0x00, 0xFF, full[i] ^ 0x80, full[i] &+ 1] {
                var m = full
                m[i] = value
                // Parse in memory (the same code GGUFFile runs on the mapping).
                m.withUnsafeBytes { raw in
                    do {
                        let h = try GGUFHeaderParser.parse(raw, path: "mutant.gguf")
                        for t in h.tensors {
                            let start = h.dataOffset + t.offset
                            let view = UnsafeRawBufferPointer(rebasing: raw[start..<(start + t.byteCount)])
                            _ = try? GGMLDequantizer.dequantize(view, type: t.type, count: t.elementCount)
                        }
                    } catch is FormatError {
                    } catch {
                        Issue.record("byte \(i) = \(value): unexpected error \(error)")
                    }
                }
            }
        }
    }
}
