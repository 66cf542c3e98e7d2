/// Gathers the elements of a strided tensor view into contiguous row-major bytes.
enum StridedCopy {
    /// Copies `shape`/`strides` (in elements of `elementSize` bytes, starting at element
    /// `offset`) out of `storage`. The caller has validated that every index is in bounds.
    static func gather(_ storage: UnsafeRawBufferPointer, elementSize: Int, offset: Int,
                       shape: [Int], strides: [Int]) -> [UInt8] {
        let count = shape.reduce(1, *)
        var out = [UInt8](repeating: 0, count: count * elementSize)
        guard count > 0, let src = storage.baseAddress else { return out }
        let rank = shape.count
        out.withUnsafeMutableBytes { dst in
            guard let base = dst.baseAddress else { return }
            if rank == 0 {
                base.copyMemory(from: src + offset * elementSize, byteCount: elementSize)
                return
            }
            // Walk the outer dimensions with an odometer; copy the innermost run element by element.
            var index = [Int](repeating: 0, count: rank)
            let inner = shape[rank - 1], innerStride = strides[rank - 1] * elementSize
            var written = 0
            var position = offset
            while true {
                var p = src + position * elementSize
                for _ in 0..<inner {
                    (base + written).copyMemory(from: p, byteCount: elementSize)
                    written += elementSize
                    p += innerStride
                }
                // Advance the outer index.
                var d = rank - 2
                while d >= 0 {
                    index[d] += 1
                    position += strides[d]
                    if index[d] < shape[d] { break }
                    position -= strides[d] * shape[d]
                    index[d] = 0
                    d -= 1
                }
                if d < 0 { return }
            }
        }
        return out
    }
}
