/// Dequantizes ggml blocks to f32. (Being written; see GGUF work.)
public enum GGMLDequantizer {
    public static func dequantize(_ bytes: UnsafeRawBufferPointer, type: GGMLType, count: Int) throws -> [Float] {
        throw FormatError("ggml", "unsupported ggml type \(type.id) (\(type.name))")
    }
}
