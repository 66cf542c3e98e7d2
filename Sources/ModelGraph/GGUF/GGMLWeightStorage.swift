import Kernels
import TensorFormats

/// Which `WeightMatrix` storage runs a ggml-typed tensor in place: Q8_0 and Q4_0 have kernels of
/// their own; every other block type llama.cpp files use (Q4_1, Q5_x, k-quants, IQ4) is decoded a
/// tile of rows at a time by the GGUF dequantizer inside the matmul.
enum GGMLWeightStorage {
    /// nil when rows are not whole blocks or the type cannot be dequantized.
    static func storage(for type: GGMLType, columns: Int) -> WeightMatrix.Storage? {
        guard columns > 0, columns % type.blockSize == 0, GGMLDequantizer.isSupported(type) else { return nil }
        if type == .q8_0 { return .ggmlQ8_0 }
        if type == .q4_0 { return .ggmlQ4_0 }
        let bytesPerRow = columns / type.blockSize * type.typeSize
        return .rowDecoded(RowDecoder(name: type.name, bytesPerRow: bytesPerRow) { row, out in
            // Rows were validated as whole blocks of a supported type, so this cannot fail.
            try? GGMLDequantizer.dequantize(UnsafeRawBufferPointer(start: row, count: bytesPerRow), type: type,
                                            into: UnsafeMutableBufferPointer(start: out, count: columns))
        })
    }
}
