extension TorchBicubic {
    /// Four clamped source indices and float32 weights per output index along one axis.
    struct Taps {
        var index: [Int]
        var weight: [Float]

        init(inSize: Int, outSize: Int) {
            let a: Float = -0.75
            let scale = Float(inSize) / Float(outSize)
            index = [Int](repeating: 0, count: 4 * outSize)
            weight = [Float](repeating: 0, count: 4 * outSize)
            for i in 0..<outSize {
                // area_pixel_compute_source_index (cubic): scale·(i + 0.5) − 0.5, fused
                let real = (-0.5 as Float).addingProduct(scale, Float(i) + 0.5)
                let idx = min(Int(real.rounded(.down)), inSize - 1)
                let t = min(max(real - Float(idx), 0), 1)
                let x2: Float = 1 - t
                weight[4 * i] = Self.conv2(t + 1, a)
                weight[4 * i + 1] = Self.conv1(t, a)
                weight[4 * i + 2] = Self.conv1(x2, a)
                weight[4 * i + 3] = Self.conv2(x2 + 1, a)
                for j in 0..<4 { index[4 * i + j] = max(min(idx - 1 + j, inSize - 1), 0) }
            }
        }

        /// ((A+2)x − (A+3))·x·x + 1, with the first multiply-add fused (as torch's build does).
        @inline(__always)
        static func conv1(_ x: Float, _ a: Float) -> Float {
            let p = (-(a + 3)).addingProduct(a + 2, x)
            return p * x * x + 1
        }

        /// ((A·x − 5A)·x + 8A)·x − 4A, with the first two multiply-adds fused.
        @inline(__always)
        static func conv2(_ x: Float, _ a: Float) -> Float {
            let p = (-(5 * a)).addingProduct(a, x)
            let q = (8 * a).addingProduct(p, x)
            return q * x - 4 * a
        }
    }
}
