/// Converts plain-dtype tensor bytes (little-endian, possibly unaligned) to and from f32.
public enum DenseCodec {
    /// Decodes `count` elements of `dtype` from `bytes` into f32.
    public static func decode(_ bytes: UnsafeRawBufferPointer, dtype: DType, count: Int) -> [Float] {
        precondition(bytes.count >= count * dtype.byteSize, "tensor byte view shorter than its shape")
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
            if let dst = out.baseAddress { HugePages.advise(UnsafeMutableRawPointer(dst), bytes: count * 4) }
            switch dtype {
            case .f32:
                if count > 0, let src = bytes.baseAddress, let dst = out.baseAddress {
                    UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: count * 4)
                }
            case .f64:
                for i in 0..<count { out[i] = Float(bytes.loadUnaligned(fromByteOffset: i * 8, as: Double.self)) }
            case .f16:
                for i in 0..<count { out[i] = FloatCodecs.f16ToF32(bytes.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)) }
            case .bf16:
                if count > 0, let dst = out.baseAddress { decode(bytes, dtype: .bf16, first: 0, count: count, into: dst) }
            case .f8e4m3:
                for i in 0..<count { out[i] = FloatCodecs.f8e4m3ToF32(bytes[i]) }
            case .f8e5m2:
                for i in 0..<count { out[i] = FloatCodecs.f8e5m2ToF32(bytes[i]) }
            case .i64:
                for i in 0..<count { out[i] = Float(bytes.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)) }
            case .i32:
                for i in 0..<count { out[i] = Float(bytes.loadUnaligned(fromByteOffset: i * 4, as: Int32.self)) }
            case .i16:
                for i in 0..<count { out[i] = Float(bytes.loadUnaligned(fromByteOffset: i * 2, as: Int16.self)) }
            case .i8:
                for i in 0..<count { out[i] = Float(Int8(bitPattern: bytes[i])) }
            case .u64:
                for i in 0..<count { out[i] = Float(bytes.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)) }
            case .u32:
                for i in 0..<count { out[i] = Float(bytes.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)) }
            case .u16:
                for i in 0..<count { out[i] = Float(bytes.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)) }
            case .u8:
                for i in 0..<count { out[i] = Float(bytes[i]) }
            case .bool:
                for i in 0..<count { out[i] = bytes[i] != 0 ? 1 : 0 }
            }
            initialized = count
        }
    }

    /// Encodes f32 values as `dtype` (f32, f16 or bf16; round to nearest even) into `out`.
    /// - Precondition: `dtype` is f32, f16 or bf16 and `out` holds `values.count * dtype.byteSize` bytes.
    public static func encode(_ values: UnsafeBufferPointer<Float>, as dtype: DType, into out: UnsafeMutableRawBufferPointer) {
        switch dtype {
        case .f32:
            if let src = values.baseAddress, let dst = out.baseAddress {
                dst.copyMemory(from: src, byteCount: values.count * 4)
            }
        case .f16:
            for (i, v) in values.enumerated() { out.storeBytes(of: FloatCodecs.f32ToF16(v).littleEndian, toByteOffset: i * 2, as: UInt16.self) }
        case .bf16:
            for (i, v) in values.enumerated() { out.storeBytes(of: FloatCodecs.f32ToBF16(v).littleEndian, toByteOffset: i * 2, as: UInt16.self) }
        default:
            preconditionFailure("DenseCodec.encode supports f32, f16 and bf16, not \(dtype.rawValue)")
        }
    }

    /// Encodes f32 values as `dtype` into a new byte array.
    public static func encode(_ values: [Float], as dtype: DType) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: values.count * dtype.byteSize)
        values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBytes { dst in encode(src, as: dtype, into: dst) }
        }
        return out
    }
}
