/// One weight matrix in the v1 storage layout, as three byte sections.
///
/// - f32/f16/bf16: `data` holds the elements row-major, little-endian; `scales`, `zeros` are empty.
/// - int8: `data` is `rows × columns` Int8 codes row-major; `scales` is one float32 (LE) per row.
/// - int4: each row takes `(columns + 1) / 2` bytes; column j of row r is in byte
///   `r · stride + j / 2`, the low nibble for even j, the high nibble for odd j (an odd-length
///   row's last high nibble is 0). Symmetric nibbles are q + 8, asymmetric nibbles are q.
///   `scales` is `rows × groupsPerRow` float16 (LE), row-major; `zeros` the same count of UInt8
///   zero points (asymmetric only, empty otherwise). A zero scale is stored as +0.
public struct QuantizedBytes: Sendable, Equatable {
    public var data: [UInt8]
    public var scales: [UInt8]
    public var zeros: [UInt8]

    public init(data: [UInt8], scales: [UInt8] = [], zeros: [UInt8] = []) {
        self.data = data
        self.scales = scales
        self.zeros = zeros
    }
}
