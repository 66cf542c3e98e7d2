#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch

/// Dequantizes ggml tensor data to f32, bit-identical to gguf-py 0.19.0 `gguf.quants.dequantize`
/// (same float32 operations in the same order, no fused multiply-add).
///
/// Supported: F32, F16, BF16, F64, I8–I64 (plain conversion), Q4_0, Q4_1, Q5_0, Q5_1, Q8_0,
/// Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K, IQ4_NL, IQ4_XS. Large tensors are split over cores.
public enum GGMLDequantizer {
    /// Converts `blocks` whole blocks starting at the first pointer into `blocks × blockSize` floats.
    typealias Kernel = @Sendable (UnsafeRawPointer, UnsafeMutablePointer<Float>, Int) -> Void

    static func kernel(for type: GGMLType) -> Kernel? {
        switch type.id {
        case GGMLType.q4_0.id: return GGMLBlockKernels.q4_0
        case GGMLType.q4_1.id: return GGMLBlockKernels.q4_1
        case GGMLType.q5_0.id: return GGMLBlockKernels.q5_0
        case GGMLType.q5_1.id: return GGMLBlockKernels.q5_1
        case GGMLType.q8_0.id: return GGMLBlockKernels.q8_0
        case GGMLType.iq4_nl.id: return GGMLBlockKernels.iq4_nl
        case GGMLType.q2_K.id: return GGMLKQuantKernels.q2_K
        case GGMLType.q3_K.id: return GGMLKQuantKernels.q3_K
        case GGMLType.q4_K.id: return GGMLKQuantKernels.q4_K
        case GGMLType.q5_K.id: return GGMLKQuantKernels.q5_K
        case GGMLType.q6_K.id: return GGMLKQuantKernels.q6_K
        case GGMLType.q8_K.id: return GGMLKQuantKernels.q8_K
        case GGMLType.iq4_xs.id: return GGMLKQuantKernels.iq4_xs
        default: return nil
        }
    }

    /// Whether `dequantize` handles this type.
    public static func isSupported(_ type: GGMLType) -> Bool {
        type.denseType != nil || kernel(for: type) != nil
    }

    /// Dequantizes `count` elements of `type` from `bytes` (at least `count/blockSize × typeSize` bytes).
    /// Throws `FormatError("ggml", …)` for an unsupported type, a count that is not a whole number of
    /// blocks, or too few bytes.
    public static func dequantize(_ bytes: UnsafeRawBufferPointer, type: GGMLType, count: Int) throws -> [Float] {
        try check(bytes, type: type, count: count)
        if let dense = type.denseType {
            return DenseCodec.decode(bytes, dtype: dense, count: count)
        }
        return try [Float](unsafeUninitializedCapacity: count) { out, initialized in
            try dequantize(bytes, type: type, into: UnsafeMutableBufferPointer(rebasing: out[0..<count]))
            initialized = count
        }
    }

    /// Dequantizes into caller-owned memory: `out.count` elements are produced.
    public static func dequantize(_ bytes: UnsafeRawBufferPointer, type: GGMLType, into out: UnsafeMutableBufferPointer<Float>) throws {
        let count = out.count
        try check(bytes, type: type, count: count)
        if count == 0 { return }
        guard let src = bytes.baseAddress, let dst = out.baseAddress else { return }
        if let dense = type.denseType {
            let values = DenseCodec.decode(bytes, dtype: dense, count: count)
            values.withUnsafeBufferPointer { v in
                if let b = v.baseAddress { dst.update(from: b, count: count) }
            }
            return
        }
        guard let kernel = kernel(for: type) else { throw unsupported(type) }
        run(kernel, src: src, dst: dst, blocks: count / type.blockSize, type: type)
    }

    static func unsupported(_ type: GGMLType) -> FormatError {
        FormatError("ggml", "unsupported ggml type \(type.id) (\(type.name))")
    }

    static func check(_ bytes: UnsafeRawBufferPointer, type: GGMLType, count: Int) throws {
        guard isSupported(type) else { throw unsupported(type) }
        guard count >= 0, count % type.blockSize == 0 else {
            throw FormatError("ggml", "\(count) elements is not a whole number of \(type.name) blocks of \(type.blockSize)")
        }
        let needed = count / type.blockSize * type.typeSize
        guard bytes.count >= needed else {
            throw FormatError("ggml", "\(count) \(type.name) elements need \(needed) bytes, got \(bytes.count)")
        }
    }

    /// Elements per chunk below which the work stays on the calling thread.
    static let parallelThreshold = 1 << 18

    static let coreCount: Int = {
        let n = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        return n > 0 ? Int(n) : 1
    }()

    static func run(_ kernel: Kernel, src: UnsafeRawPointer, dst: UnsafeMutablePointer<Float>, blocks: Int, type: GGMLType) {
        let elements = blocks * type.blockSize
        let cores = coreCount
        guard cores > 1, elements >= parallelThreshold else {
            kernel(src, dst, blocks)
            return
        }
        let chunks = min(blocks, cores * 4)
        let perChunk = (blocks + chunks - 1) / chunks
        // Pass the addresses as integers: each chunk touches a disjoint range.
        let srcAddress = UInt(bitPattern: src)
        let dstAddress = UInt(bitPattern: dst)
        let (bs, ts) = (type.blockSize, type.typeSize)
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let b0 = c * perChunk
            let b1 = min(blocks, b0 + perChunk)
            guard b0 < b1,
                  let s = UnsafeRawPointer(bitPattern: srcAddress),
                  let d = UnsafeMutablePointer<Float>(bitPattern: dstAddress) else { return }
            kernel(s + b0 * ts, d + b0 * bs, b1 - b0)
        }
    }
}

/// Reads an IEEE binary16 at a byte offset (unaligned, little-endian) as f32.
@inline(__always)
func loadF16(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
    FloatCodecs.f16ToF32(UInt16(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
}

@inline(__always)
func loadU8(_ p: UnsafeRawPointer, _ offset: Int) -> UInt8 {
    p.load(fromByteOffset: offset, as: UInt8.self)
}

/// The IQ4_NL / IQ4_XS non-linear 4-bit codebook.
let iq4Values: [Float] = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113]
