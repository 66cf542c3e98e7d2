/// How a tensor stored in some other row layout becomes fp32, one row at a time (ggml k-quants,
/// Q4_1, Q5_x…): the caller supplies the decoder, Kernels knows no file formats. Two decoders
/// are equal only when they are the same object.
public final class RowDecoder: Sendable, Hashable {
    /// The layout's name, for reports (e.g. `Q4_K`).
    public let name: String
    /// Bytes of one stored row; rows are contiguous.
    public let bytesPerRow: Int
    /// Decodes one row's `bytesPerRow` bytes into the matrix's `columns` floats; called from
    /// several threads at once, for different rows.
    public let decode: @Sendable (UnsafeRawPointer, UnsafeMutablePointer<Float>) -> Void

    /// A decoder for rows of `bytesPerRow` bytes.
    public init(name: String, bytesPerRow: Int, decode: @escaping @Sendable (UnsafeRawPointer, UnsafeMutablePointer<Float>) -> Void) {
        precondition(bytesPerRow >= 0, "RowDecoder \(name): negative row size \(bytesPerRow)")
        self.name = name
        self.bytesPerRow = bytesPerRow
        self.decode = decode
    }

    public static func == (a: RowDecoder, b: RowDecoder) -> Bool { a === b }
    public func hash(into h: inout Hasher) { h.combine(ObjectIdentifier(self)) }
}
