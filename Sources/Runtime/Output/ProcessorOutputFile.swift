import Models
import TensorFormats

/// Writes what upstream's processor returns (`preprocess`): `input_ids`, `attention_mask` (int64),
/// `pixel_values` (float32, zero crops padded as upstream pads) and `image_sizes` (int64).
public enum ProcessorOutputFile {
    public static func write(_ out: EmbeddingPipeline.ProcessorOutput, to path: String) throws {
        let ids = out.input.inputIds
        let (pixels, shape) = out.paddedPixelValues
        func i64(_ v: [Int]) -> [UInt8] { v.flatMap { withUnsafeBytes(of: Int64($0).littleEndian, Array.init) } }
        try SafetensorsWriter.write(to: path, tensors: [
            (TensorDescriptor(name: "input_ids", shape: [1, ids.count], encoding: .dense(.i64)), i64(ids)),
            (TensorDescriptor(name: "attention_mask", shape: [1, ids.count], encoding: .dense(.i64)), i64(ids.map { _ in 1 })),
            (TensorDescriptor(name: "pixel_values", shape: shape, encoding: .dense(.f32)), DenseCodec.encode(pixels, as: .f32)),
            (TensorDescriptor(name: "image_sizes", shape: [out.imageSizes.count, 2], encoding: .dense(.i64)), i64(out.imageSizes.flatMap { $0 })),
        ])
    }
}
