import Preprocessing
import TensorFormats

/// PNG and JPEG decoding (format by magic bytes), with a small pixel limit so the fuzzer spends
/// its time in headers and decoders rather than in big allocations.
enum ImageEntries {
    static let maxPixels = 1 << 20

    static let image: FuzzEntries.Entry = { bytes in
        let image = try ImageDecoder.decode(bytes, name: "image", maxPixels: maxPixels)
        _ = image.pixels.count
    }
}
