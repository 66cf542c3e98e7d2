import Foundation
@testable import Kernels
import Testing

/// The searched int4 methods (`Int4Method.searched`, `.importance`): bytes against
/// `SearchedOracle`, error against round-to-nearest, and the same kernels reading them bit for
/// bit on every integer product the CPU has.
@Suite struct SearchedScaleQuantizerTests {
    static let schemes: [QuantScheme] = [
        .int4(group: 32, asymmetric: false), .int4(group: 64, asymmetric: false), .int4(group: 128, asymmetric: false),
        .int4(group: 32, asymmetric: true), .int4(group: 128, asymmetric: true), .int4(group: 5, asymmetric: true),
        .int4(group: 7, asymmetric: false),
    ]

    static func gaussian(_ count: Int, _ rng: inout SplitMix64) -> [Float] {
        (0..<count).map { _ in
            let u = max(Float.random(in: 0..<1, using: &rng), 1e-7), v = Float.random(in: 0..<1, using: &rng)
            return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
        }
    }

    static func bytes(_ w: [Float], rows: Int, columns: Int, _ scheme: QuantScheme, _ method: Int4Method, _ importance: [Float]?) -> QuantizedBytes {
        w.withUnsafeBufferPointer { WeightQuantizer.quantize($0, rows: rows, columns: columns, scheme: scheme, method: method, importance: importance) }
    }

    @Test func bytesMatchTheOracle() {
        var rng = SplitMix64(seed: 2020)
        var checked = 0
        for (rows, columns) in [(1, 1), (3, 17), (5, 64), (2, 63), (4, 100), (3, 130), (9, 31), (2, 257)] {
            var w: [Float] = (0..<rows).flatMap { _ in
                let spread = Float(pow(2.0, Double(Float.random(in: -6...6, using: &rng))))
                return Self.gaussian(columns, &rng).map { $0 * spread }
            }
            // A zero group, a constant group and a negative constant group, where the shape has room.
            if columns >= 21 {
                for j in 0..<7 { w[j] = 0; w[7 + j] = 0.25; w[14 + j] = -3 }
            }
            let importance = (0..<columns).map { c in c % 11 == 3 ? 0 : Float.random(in: 0...4, using: &rng) }
            for scheme in Self.schemes {
                guard case .int4(let group, let asymmetric) = scheme else { continue }
                for (method, imp) in [(Int4Method.searched, nil), (.importance, importance)] as [(Int4Method, [Float]?)] {
                    let got = Self.bytes(w, rows: rows, columns: columns, scheme, method, imp)
                    let want = SearchedOracle(w, rows: rows, columns: columns, group: group, asymmetric: asymmetric, importance: imp)
                    let label = "\(scheme.name) \(method.rawValue) \(rows)×\(columns)"
                    #expect(got.data == want.bytes.data, "\(label): data")
                    #expect(got.scales == want.bytes.scales, "\(label): scales")
                    #expect(got.zeros == want.bytes.zeros, "\(label): zeros")
                    let read = WeightMatrix(rows: rows, columns: columns, scheme: scheme, bytes: got).floats()
                    #expect(valueMismatches(read, want.values) == 0, "\(label): W'")
                    checked += w.count
                }
            }
        }
        print("SEARCHED-ORACLE: \(checked) elements")
    }

    /// Weighted squared error Σ w·(x − W')² of a quantization, weights x² or the importance.
    static func weightedError(_ w: [Float], _ values: [Float], columns: Int, importance: [Float]?) -> Double {
        var e = 0.0
        for i in w.indices {
            let d = Double(w[i]) - Double(values[i])
            e += Double(importance.map { $0[i % columns] } ?? w[i] * w[i]) * d * d
        }
        return e
    }

    @Test func lowersTheWeightedErrorOfRoundToNearest() {
        var rng = SplitMix64(seed: 77)
        let rows = 64, columns = 512
        let w = Self.gaussian(rows * columns, &rng)
        // Importance spread over three orders of magnitude, as activations are.
        let importance = (0..<columns).map { _ in Float(pow(10.0, Double.random(in: -2...1, using: &rng))) }
        for scheme in [QuantScheme.int4(group: 32, asymmetric: false), .int4(group: 32, asymmetric: true), .int4(group: 128, asymmetric: false)] {
            let rtn = WeightMatrix(rows: rows, columns: columns, scheme: scheme, bytes: Self.bytes(w, rows: rows, columns: columns, scheme, .roundToNearest, nil)).floats()
            let searched = WeightMatrix(rows: rows, columns: columns, scheme: scheme, bytes: Self.bytes(w, rows: rows, columns: columns, scheme, .searched, nil)).floats()
            let weighted = WeightMatrix(rows: rows, columns: columns, scheme: scheme,
                                        bytes: Self.bytes(w, rows: rows, columns: columns, scheme, .importance, importance)).floats()
            let plain = (rtn: Self.weightedError(w, rtn, columns: columns, importance: nil),
                         searched: Self.weightedError(w, searched, columns: columns, importance: nil))
            let byImportance = (rtn: Self.weightedError(w, rtn, columns: columns, importance: importance),
                                searched: Self.weightedError(w, searched, columns: columns, importance: importance),
                                importance: Self.weightedError(w, weighted, columns: columns, importance: importance))
            print("SEARCHED-ERROR \(scheme.name): w²-weighted error \(plain.searched / plain.rtn) of rtn; importance-weighted: searched \(byImportance.searched / byImportance.rtn), importance \(byImportance.importance / byImportance.rtn) of rtn")
            #expect(plain.searched < 0.8 * plain.rtn, "\(scheme.name): searched \(plain.searched) vs rtn \(plain.rtn)")
            #expect(byImportance.importance < byImportance.searched, "\(scheme.name): the importance weighting does not lower its own objective")
        }
        // Symmetric searched codes use the 16th level (nibble 0).
        let b = Self.bytes(w, rows: rows, columns: columns, .int4(group: 32, asymmetric: false), .searched, nil)
        #expect(b.data.contains { $0 & 0x0F == 0 || $0 >> 4 == 0 })
    }

    /// The quantizer's own bytes through every integer product this CPU has (int16 and 8-bit
    /// inputs), against the scalar emulations bit for bit, and `apply` on `generic` against the
    /// Double reference of the oracle's W'.
    @Test(arguments: [1, 7, 13])
    func kernelsReadSearchedWeightsExactly(n: Int) throws {
        var rng = SplitMix64(seed: UInt64(4000 + n))
        var keep = [AnyObject]()
        var checked = 0
        for (rows, columns, group, asymmetric) in [(21, 320, 32, false), (18, 512, 64, true), (16, 1024, 128, false)] {
            let w = Self.gaussian(rows * columns, &rng).map { $0 * 0.02 }
            let scheme = QuantScheme.int4(group: group, asymmetric: asymmetric)
            let bytes = Self.bytes(w, rows: rows, columns: columns, scheme, .searched, nil)
            let oracle = SearchedOracle(w, rows: rows, columns: columns, group: group, asymmetric: asymmetric, importance: nil)
            var codes = [Int32](), scales = [Float]()
            for i in 0..<(rows * columns) {
                let g = (i / columns) * ((columns + group - 1) / group) + (i % columns) / group
                codes.append(Int32(oracle.nibbles[i]) - (asymmetric ? Int32(oracle.zeros[g]) : 8))
                scales.append(Float(oracle.scales[g]))
            }
            let coded = Int16ProductTests.CodedWeight(rows: rows, columns: columns, storage: scheme.storage, bytes: bytes.data,
                                                      scaleBytes: bytes.scales, zeroBytes: bytes.zeros, codes: codes, scales: scales, group: group)
            let matrix = coded.matrix(&keep)
            let x = (0..<(n * columns)).map { _ in Float.random(in: -3...3, using: &rng) }
            for kernel in IntegerProductKernel.supported {
                let int16 = try Int16ProductTests.product(matrix, x, n: n, kernel: kernel)
                #expect(int16.map(\.bitPattern) == Int16ProductTests.emulate(coded, x, n: n).map(\.bitPattern), "\(kernel) int16 inputs \(scheme.name)")
                let int8 = try Int8InputProductTests.product(matrix, x, n: n, kernel: kernel)
                #expect(int8.map(\.bitPattern) == Int8InputProductTests.emulate(coded, x, n: n).map(\.bitPattern), "\(kernel) 8-bit inputs \(scheme.name)")
                checked += int16.count + int8.count
            }
            let y = try runWeightApply(matrix, x, n: n, ldy: rows, bias: nil, .apply)
            let result = summationBoundFailures(y, x: try weightApplyInputs(matrix, x, n: n, .apply), values: oracle.values, bias: nil,
                                                rows: rows, columns: columns, n: n, ldy: rows)
            #expect(result.failures == 0, "generic apply \(scheme.name) n=\(n)")
        }
        print("SEARCHED-KERNELS n=\(n): \(checked) outputs bit-identical to the emulations on \(IntegerProductKernel.supported)")
    }
}
