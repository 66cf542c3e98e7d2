import Kernels
import Testing

/// Bit-exactness against the pinned Python quantizer: quantizing the `f32/` sample weights
/// with the scheme the manifest assigns them must read back exactly the dequantized weights
/// stored for that scheme folder, for every element.
@Suite struct WeightQuantizerReferenceTests {
    @Test func everySchemeFolderMatchesTheDequantizedReference() throws {
        let reference = try QuantReference()
        let folders = try reference.schemeDirectories()
        let samples = try reference.weightSamples()
        #expect(folders.count == 8, "scheme folders: \(folders)")
        #expect(samples.keys.sorted() == ["llava_next", "phi3_v"])
        var compared = 0, quantizedCompared = 0
        for folder in folders {
            for (backbone, tensors) in samples.sorted(by: { $0.key < $1.key }) {
                let input = try reference.weights("f32", backbone)
                let expected = try reference.weights(folder, backbone)
                for (name, schemes) in tensors.sorted(by: { $0.key < $1.key }) {
                    let assigned = try #require(schemes[folder], "\(backbone) \(name): no scheme for \(folder)")
                    let schemeName = assigned ?? "f32"
                    let scheme = try #require(QuantScheme(name: schemeName), "unknown scheme \(schemeName)")
                    let shape = try #require(input.descriptor(named: name), "\(name) missing from f32").shape
                    try #require(shape.count == 2)
                    let w = try input.floats(named: name)
                    let want = try expected.floats(named: name)
                    let (_, matrix) = quantized(w, rows: shape[0], columns: shape[1], scheme)
                    let got = matrix.floats()
                    let mismatches = valueMismatches(got, want)
                    print("QUANT-REF \(folder) \(backbone) \(name) [\(shape[0])×\(shape[1])] \(scheme.name): \(want.count) elements, \(mismatches) mismatches")
                    #expect(got.count == want.count && mismatches == 0, "\(folder) \(backbone) \(name) \(scheme.name)")
                    // The reference used the scheme we think it did: quantized schemes change the values.
                    if scheme.isQuantized { #expect(valueMismatches(w, want) > 0, "\(folder) \(name): reference equals its input") }
                    compared += want.count
                    if scheme.isQuantized { quantizedCompared += want.count }
                }
            }
        }
        print("QUANT-REF total: \(compared) elements compared (\(quantizedCompared) from int8/int4 schemes)")
        #expect(compared > 0)
    }

    /// Every weight scheme the manifest names parses, and prints back the same.
    @Test func manifestSchemeNamesRoundTrip() throws {
        let reference = try QuantReference()
        let schemes = try #require(reference.manifest["weight_schemes"] as? [String: Any], "no weight_schemes")
        #expect(schemes.count >= 6)
        for name in schemes.keys {
            let scheme = try #require(QuantScheme(name: name), "\(name) does not parse")
            #expect(scheme.name == name)
        }
    }
}
