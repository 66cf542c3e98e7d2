import CJPEG
import TensorFormats

/// JPEG decoding through libjpeg(-turbo) (C shim in `CJPEG`) with Pillow's settings:
/// JDCT_ISLOW, fancy upsampling, no scaling, grayscale replicated to RGB. CMYK and YCCK
/// JPEGs are refused with a clear error. Truncated data is an error (libjpeg alone would
/// pad the image with gray).
enum JPEGDecoder {
    /// Width and height from the first SOFn marker, found by walking the marker segments.
    /// This runs before libjpeg sees the file, so a huge declared size is refused without
    /// libjpeg allocating anything.
    static func headerSize(_ b: UnsafeRawBufferPointer, name: String) throws -> (Int, Int) {
        var i = 2
        while true {
            // skip fill bytes up to the next marker
            guard i + 1 < b.count else { throw FormatError(name, "truncated JPEG: no frame header (SOF) found") }
            guard b[i] == 0xFF else { throw FormatError(name, "corrupt JPEG: expected a marker at byte \(i)") }
            var m = b[i + 1]
            while m == 0xFF {
                i += 1
                guard i + 1 < b.count else { throw FormatError(name, "truncated JPEG: no frame header (SOF) found") }
                m = b[i + 1]
            }
            i += 2
            if m == 0x01 || (0xD0...0xD7).contains(m) { continue }  // markers without a length
            if m == 0xD9 || m == 0xDA { throw FormatError(name, "corrupt JPEG: no frame header (SOF) before the scan data") }
            guard i + 1 < b.count else { throw FormatError(name, "truncated JPEG: file ends inside a marker segment") }
            let length = Int(b[i]) << 8 | Int(b[i + 1])
            guard length >= 2 else { throw FormatError(name, "corrupt JPEG: bad marker segment length \(length)") }
            let isSOF = (0xC0...0xCF).contains(m) && m != 0xC4 && m != 0xC8 && m != 0xCC
            if isSOF {
                guard length >= 7, i + 6 < b.count else { throw FormatError(name, "truncated JPEG: file ends inside the frame header") }
                let height = Int(b[i + 3]) << 8 | Int(b[i + 4])
                let width = Int(b[i + 5]) << 8 | Int(b[i + 6])
                return (width, height)
            }
            i += length
        }
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, width: Int, height: Int, name: String) throws -> RGBImage {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            throw FormatError(name, "empty JPEG")
        }
        var message = [CChar](repeating: 0, count: 256)
        func fail(_ what: String) -> FormatError {
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return FormatError(name, "\(what): \(text)")
        }
        // libjpeg's own header pass (validates tables, colour space) before allocating.
        var info = vlm_jpeg_info()
        let headerStatus = message.withUnsafeMutableBufferPointer { m in
            vlm_jpeg_decode(base, bytes.count, &info, nil, m.baseAddress, m.count)
        }
        if headerStatus != 0 { throw fail("corrupt or truncated JPEG") }
        guard Int(info.width) == width, Int(info.height) == height else {
            throw FormatError(name, "corrupt JPEG: frame header says \(width)x\(height) but libjpeg reads \(info.width)x\(info.height)")
        }
        if info.components == 4 || info.color_space == Int32(JCS_CMYK.rawValue) || info.color_space == Int32(JCS_YCCK.rawValue) {
            throw FormatError(name, "CMYK/YCCK JPEG is not supported (convert it to RGB first)")
        }
        var status: Int32 = 0
        let pixels = [UInt8](unsafeUninitializedCapacity: width * height * 3) { buf, count in
            status = message.withUnsafeMutableBufferPointer { m in
                vlm_jpeg_decode(base, bytes.count, &info, buf.baseAddress, m.baseAddress, m.count)
            }
            if status != 0 { buf.initialize(repeating: 0) }
            count = buf.count
        }
        if status != 0 { throw fail("corrupt or truncated JPEG") }
        return RGBImage(width: width, height: height, pixels: pixels)
    }
}
