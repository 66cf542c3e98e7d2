import CPNG
import TensorFormats

/// PNG decoding through libpng (C shim in `CPNG`), PIL `convert("RGB")` semantics:
/// alpha dropped without compositing, palette expanded (tRNS ignored), gray replicated,
/// 1/2/4-bit gray scaled to 0…255, 16-bit samples reduced to their high byte, and 16-bit
/// gray (PIL mode I;16) clipped to 255. No gamma or ICC handling.
enum PNGDecoder {
    /// Width and height from the IHDR chunk, which the PNG spec fixes at byte 8.
    static func headerSize(_ b: UnsafeRawBufferPointer, name: String) throws -> (Int, Int) {
        guard b.count >= 33 else { throw FormatError(name, "truncated PNG: file ends inside the IHDR header (\(b.count) bytes)") }
        guard b[12] == 0x49, b[13] == 0x48, b[14] == 0x44, b[15] == 0x52 else {
            throw FormatError(name, "corrupt PNG: first chunk is not IHDR")
        }
        func be32(_ o: Int) -> Int { Int(b[o]) << 24 | Int(b[o + 1]) << 16 | Int(b[o + 2]) << 8 | Int(b[o + 3]) }
        return (be32(16), be32(20))
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, width: Int, height: Int, name: String) throws -> RGBImage {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            throw FormatError(name, "empty PNG")
        }
        var message = [CChar](repeating: 0, count: 256)
        var status: Int32 = 0
        let pixels = [UInt8](unsafeUninitializedCapacity: width * height * 3) { buf, count in
            status = message.withUnsafeMutableBufferPointer { m in
                vlm_png_decode(base, bytes.count, UInt32(width), UInt32(height), buf.baseAddress, m.baseAddress, m.count)
            }
            if status != 0 { buf.initialize(repeating: 0) }
            count = buf.count
        }
        if status != 0 {
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw FormatError(name, "corrupt or truncated PNG: \(text)")
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }
}
