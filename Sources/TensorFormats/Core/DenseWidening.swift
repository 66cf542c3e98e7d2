/// Decoding a run of float elements into a caller's fp32 buffer (a streaming writer's row or
/// tile), without allocating: bf16 and f16 four lanes at a time, other dtypes element by element.
extension DenseCodec {
    /// Decodes elements `first..<first + count` of a tensor of `dtype` whose bytes are `bytes`
    /// (little-endian, possibly unaligned) into `out`. The values are exactly `decode`'s.
    /// - Precondition: the elements lie inside `bytes`.
    public static func decode(_ bytes: UnsafeRawBufferPointer, dtype: DType, first: Int, count: Int, into out: UnsafeMutablePointer<Float>) {
        precondition(first >= 0 && count >= 0 && (first + count) * dtype.byteSize <= bytes.count, "element range outside the tensor's bytes")
        guard count > 0, let base = bytes.baseAddress else { return }
        let src = base + first * dtype.byteSize
        switch dtype {
        case .f32:
            UnsafeMutableRawPointer(out).copyMemory(from: src, byteCount: count * 4)
        case .bf16:
            widenBF16(src, count: count, into: out)
        case .f16:
            for i in 0..<count { out[i] = FloatCodecs.f16ToF32(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
        default:
            let values = decode(UnsafeRawBufferPointer(start: src, count: count * dtype.byteSize), dtype: dtype, count: count)
            values.withUnsafeBufferPointer { out.update(from: $0.baseAddress.unsafelyUnwrapped, count: count) }
        }
    }

    /// bf16 → fp32 is a 16-bit shift (a plain loop the compiler vectorizes into 16-bit unpacks).
    private static func widenBF16(_ src: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>) {
        let dst = UnsafeMutableRawPointer(out)
        for i in 0..<count {
            dst.storeBytes(of: UInt32(src.loadUnaligned(fromByteOffset: 2 &* i, as: UInt16.self)) &<< 16, toByteOffset: 4 &* i, as: UInt32.self)
        }
    }
}
