import Foundation
import Testing
import TensorFormats

/// One safetensors file from `Fixtures/kernels/` (written by `Tools/make_kernel_fixtures.py`).
struct KernelFixture {
    let file: SafetensorsFile

    /// `Fixtures/kernels`, found from this file's path (Tests/KernelsTests/Support/…).
    static let directory: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("Fixtures/kernels").path
    }()

    init(_ name: String) throws {
        file = try SafetensorsFile(path: KernelFixture.directory + "/" + name)
    }

    func floats(_ name: String) throws -> [Float] { try file.floats(named: name) }

    func shape(_ name: String) throws -> [Int] {
        try #require(file.descriptor(named: name), "fixture tensor \(name) missing").shape
    }

    /// Integer-valued tensor (e.g. positions) as Ints.
    func ints(_ name: String) throws -> [Int] { try floats(name).map { Int($0) } }
}

/// How far a kernel's output is from the PyTorch reference.
struct Deviation: CustomStringConvertible {
    var maxAbs: Double = 0
    var maxRef: Double = 0
    /// The brief's budget: 1e-5 · (1 + max|ref|).
    var budget: Double { 1e-5 * (1 + maxRef) }
    /// max error / max|ref|.
    var relative: Double { maxRef > 0 ? maxAbs / maxRef : maxAbs }

    init(_ got: [Float], _ ref: [Float]) {
        precondition(got.count == ref.count, "Deviation: \(got.count) values vs \(ref.count) reference values")
        for (g, r) in zip(got, ref) {
            maxRef = max(maxRef, abs(Double(r)))
            let e = abs(Double(g) - Double(r))
            maxAbs = max(maxAbs, e.isNaN ? .infinity : e)
        }
    }

    var description: String {
        String(format: "max|err| %.3e  max|ref| %.3e  rel %.3e  budget %.3e", maxAbs, maxRef, relative, budget)
    }
}

/// Prints a measured error so `swift test` output carries the numbers (grep "KERNEL-ERR").
func report(_ name: String, _ d: Deviation) {
    print("KERNEL-ERR \(name): \(d)")
}

/// Runs `body` over a mutable copy of `values` and returns the copy (for in-place kernels).
func inPlace(_ values: [Float], _ body: (UnsafeMutablePointer<Float>) -> Void) throws -> [Float] {
    var out = values
    try out.withUnsafeMutableBufferPointer { b in body(try #require(b.baseAddress)) }
    return out
}
