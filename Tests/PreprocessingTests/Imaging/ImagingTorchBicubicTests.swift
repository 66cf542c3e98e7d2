import Foundation
import Preprocessing
import TensorFormats
import Testing

@Suite("Imaging: torch bicubic interpolate (Phi-3-V global view)")
struct ImagingTorchBicubicTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String, channels: Int, inH: Int, inW: Int, outH: Int, outW: Int, source: String?
        var testDescription: String { "\(name) \(inH)x\(inW)→\(outH)x\(outW)" }
        var integerFactor: Bool { inH % outH == 0 && inW % outW == 0 }
    }

    static let cases: [Case] = ImagingFixtures.cases("torch_bicubic").compactMap { e in
        guard let n = e["name"] as? String, let c = e["channels"] as? Int, let i = e["in"] as? [Int],
              let o = e["out"] as? [Int], i.count == 2, o.count == 2 else { return nil }
        return Case(name: n, channels: c, inH: i[0], inW: i[1], outH: o[0], outW: o[1], source: e["source"] as? String)
    }

    static let mean: [Float] = [0.48145466, 0.4578275, 0.40821073]
    static let std: [Float] = [0.26862954, 0.26130258, 0.27577711]

    /// torchvision ToTensor + Normalize in fp32, HWC u8 → CHW.
    static func normalize(_ img: RGBImage) -> [Float] {
        let plane = img.width * img.height
        var out = [Float](repeating: 0, count: 3 * plane)
        for p in 0..<plane {
            for c in 0..<3 { out[c * plane + p] = (Float(img.pixels[3 * p + c]) / 255 - mean[c]) / std[c] }
        }
        return out
    }

    @Test("matches torch 2.15.0", arguments: cases)
    func matches(_ c: Case) throws {
        let st = try SafetensorsFile(path: ImagingFixtures.path("torch/bicubic.safetensors"))
        let input: [Float]
        if let s = c.source {
            input = Self.normalize(try ImageDecoder.decode(contentsOf: ImagingFixtures.path(s)))
        } else {
            input = try st.floats(named: c.name + ".in")
        }
        let expected = try st.floats(named: c.name + ".out")
        let out = TorchBicubic.interpolate(input, channels: c.channels, height: c.inH, width: c.inW,
                                           outHeight: c.outH, outWidth: c.outW)
        #expect(out.count == expected.count)
        var maxDiff: Float = 0
        var differing = 0
        for (a, b) in zip(out, expected) {
            maxDiff = max(maxDiff, abs(a - b))
            if a != b { differing += 1 }
        }
        // Integer factors must be exact; general ratios within 1e-6 (measured: exact on AVX2+FMA).
        if c.integerFactor {
            #expect(differing == 0, "\(c.testDescription): \(differing) values differ, max \(maxDiff)")
        } else {
            #expect(maxDiff <= 1e-6, "\(c.testDescription): max diff \(maxDiff)")
        }
    }

    @Test("integer factors reduce to the exact taps of A.4 step 8")
    func integerTaps() {
        // k = 3 (odd): output is exactly source pixel 3i+1.
        let x: [Float] = (0..<9).map { Float($0) * 0.37 - 1 }
        let y = TorchBicubic.interpolate(x, channels: 1, height: 1, width: 9, outHeight: 1, outWidth: 3)
        #expect(y == [x[1], x[4], x[7]])
    }
}
