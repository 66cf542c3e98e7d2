import Kernels
import Testing

/// The v1 byte layout on matrices small enough to check by hand (every value below is chosen
/// so that the scales are exact and the codes can be worked out on paper).
@Suite struct QuantizedLayoutTests {
    /// int8, 2×3: row 0 has max 127 (s = 1), so q = round-half-even(w); row 1 is all zero.
    @Test func int8() {
        let w: [Float] = [127, -2.5, 3.5,
                          0, 0, 0]
        let (bytes, matrix) = quantized(w, rows: 2, columns: 3, .int8)
        // q = 127, -2 (tie to even), 4 (tie to even); row 1: q = 0.
        #expect(bytes.data == [127, 0xFE, 4, 0, 0, 0])
        // s = 1.0f = 0x3F800000 LE, then 0.
        #expect(bytes.scales == [0x00, 0x00, 0x80, 0x3F, 0, 0, 0, 0])
        #expect(bytes.zeros.isEmpty)
        #expect(matrix.floats() == [127, -2, 4, 0, 0, 0])
    }

    /// int4 symmetric, G = 4, 5 columns (odd: the last group has one column and the last high
    /// nibble is unused).
    @Test func int4Symmetric() {
        let w: [Float] = [7, -3.5, 1, 0, 2,
                          0, 0, 0, 0, -7]
        let (bytes, matrix) = quantized(w, rows: 2, columns: 5, .int4(group: 4, asymmetric: false))
        // Row 0, group 0: s = 1, q = 7, -4 (tie to even), 1, 0 → nibbles 15, 4, 9, 8.
        // Row 0, group 1: s = 2/7, q = 7 → nibble 15, high nibble 0.
        // Row 1, group 0: all zero → s = 0, nibbles 8; group 1: s = 1, q = -7 → nibble 1.
        #expect(bytes.data == [0x4F, 0x89, 0x0F,
                               0x88, 0x88, 0x01])
        // float16 scales LE: 1.0 = 0x3C00; 2/7 → 0x3492 (0.28564453125); 0; 1.0.
        #expect(bytes.scales == [0x00, 0x3C, 0x92, 0x34,
                                 0x00, 0x00, 0x00, 0x3C])
        #expect(bytes.zeros.isEmpty)
        #expect(matrix.floats() == [7, -4, 1, 0, 7 * 0.28564453125,
                                    0, 0, 0, 0, -7])
    }

    /// int4 asymmetric, G = 4, 6 columns.
    @Test func int4Asymmetric() {
        let w: [Float] = [-2, 0.5, 13, 3.5, 6, 6,
                          -30, -15, -20, -29, 0, 15]
        let (bytes, matrix) = quantized(w, rows: 2, columns: 6, .int4(group: 4, asymmetric: true))
        // Row 0, group 0: mn -2, mx 13 → s = 1, z = 2; q = 0, 2 (0.5 ties to 0), 15, 6 (3.5 ties to 4).
        // Row 0, group 1: constant → s = 0, q = z = 0.
        // Row 1, group 0: mn -30, mx -15 → s = 1, z = clamp(30) = 15; q = clamp(-30 + 15) = 0,
        //   0, 0, 0 → W' = (0 - 15)·1 = -15 for every element.
        // Row 1, group 1: mn 0, mx 15 → s = 1, z = 0; q = 0, 15.
        #expect(bytes.data == [0x20, 0x6F, 0x00,
                               0x00, 0x00, 0xF0])
        #expect(bytes.scales == [0x00, 0x3C, 0x00, 0x00,
                                 0x00, 0x3C, 0x00, 0x3C])
        #expect(bytes.zeros == [2, 0, 15, 0])
        #expect(matrix.floats() == [-2, 0, 13, 4, 0, 0,
                                    -15, -15, -15, -15, 0, 15])
    }

    /// The section sizes follow the layout, and the quantizer writes exactly them.
    @Test(arguments: [(1, 1), (3, 5), (4, 64), (7, 130), (2, 0)])
    func sectionSizes(rows: Int, columns: Int) {
        let schemes: [QuantScheme] = [.f32, .f16, .bf16, .int8, .int4(group: 32, asymmetric: false), .int4(group: 7, asymmetric: true)]
        let w = (0..<(rows * columns)).map { Float($0 % 11) - 5 }
        for scheme in schemes {
            let sizes = WeightQuantizer.sectionSizes(rows: rows, columns: columns, scheme: scheme)
            let bytes = w.withUnsafeBufferPointer { WeightQuantizer.quantize($0, rows: rows, columns: columns, scheme: scheme) }
            #expect(bytes.data.count == sizes.data && bytes.scales.count == sizes.scales && bytes.zeros.count == sizes.zeros, "\(scheme.name)")
            let groups: Int
            switch scheme {
            case .int4(let g, _): groups = rows * ((columns + g - 1) / g)
            default: groups = 0
            }
            switch scheme {
            case .f32: #expect(sizes == (rows * columns * 4, 0, 0))
            case .f16, .bf16: #expect(sizes == (rows * columns * 2, 0, 0))
            case .int8: #expect(sizes == (rows * columns, rows * 4, 0))
            case .int4(_, let asym): #expect(sizes == (rows * ((columns + 1) / 2), groups * 2, asym ? groups : 0))
            }
        }
    }
}
