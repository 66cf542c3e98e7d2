import Testing
import TensorFormats

/// Whole-tensor decoding: bf16 and f16 give exactly the per-element formulas (also for a tensor
/// large enough to be backed by huge pages, at an odd byte offset), and the streaming decoder of a
/// range gives the same values as the whole-tensor one.
@Suite struct DenseCodecTests {
    static func bytes(_ count: Int, _ rng: inout SplitMix64) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    }

    @Test(arguments: [DType.bf16, DType.f16], [5, 3 << 20 + 7])
    func wholeTensorDecodeMatchesTheFormula(dtype: DType, count: Int) {
        var rng = SplitMix64(seed: UInt64(count))
        let raw = Self.bytes(count * 2 + 1, &rng)
        raw.withUnsafeBytes { all in
            let bytes = UnsafeRawBufferPointer(rebasing: all[1...])  // unaligned on purpose
            let values = DenseCodec.decode(bytes, dtype: dtype, count: count)
            #expect(values.count == count)
            var mismatches = 0
            for i in 0..<count {
                let h = bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)
                let expected = dtype == .bf16 ? FloatCodecs.bf16ToF32(h) : FloatCodecs.f16ToF32(h)
                if values[i].bitPattern != expected.bitPattern { mismatches += 1 }
            }
            #expect(mismatches == 0, "\(dtype) × \(count)")
            var part = [Float](repeating: 0, count: 1000)
            let first = count / 3, n = min(1000, count - first)
            part.withUnsafeMutableBufferPointer { DenseCodec.decode(bytes, dtype: dtype, first: first, count: n, into: $0.baseAddress!) }
            #expect(part[0..<n].map(\.bitPattern) == values[first..<(first + n)].map(\.bitPattern))
        }
    }
}
