import Testing
@testable import Preprocessing

/// `Phi3VImageProcessor` builds the crops and the global view row by row without materialising
/// the normalised HD image; this checks it against the step-by-step pipeline built from the
/// separately verified primitives (Pillow-exact transpose/resize/pad, torchvision normalisation,
/// torch bicubic), bit for bit, on landscape, portrait, square and odd-sized images.
@Suite struct Phi3VFusedPipelineTests {
    static func stepByStep(_ image: RGBImage, numCrops: Int) throws -> [Float] {
        let g = try Phi3VHDGeometry(width: image.width, height: image.height, numCrops: numCrops)
        let s = Phi3VHDGeometry.cropSize
        let mean = Phi3VImageProcessor.clipMean, std = Phi3VImageProcessor.clipStd
        var work = g.transposed ? image.transposed() : image
        work = work.resized(width: g.resizedWidth, height: g.resizedHeight, filter: .bilinear)
        work = work.padded(top: g.padTop, bottom: g.padBottom, left: 0, right: 0, color: (255, 255, 255))
        if g.transposed { work = work.transposed() }
        let w = work.width, h = work.height
        var hd = [Float](repeating: 0, count: 3 * w * h)
        for p in 0..<(w * h) {
            for c in 0..<3 { hd[c * w * h + p] = (Float(work.pixels[3 * p + c]) / 255 - mean[c]) / std[c] }
        }
        var out = TorchBicubic.interpolate(hd, channels: 3, height: h, width: w, outHeight: s, outWidth: s)
        for a in 0..<(h / s) {
            for b in 0..<(w / s) {
                for c in 0..<3 {
                    for y in 0..<s {
                        let row = c * w * h + (a * s + y) * w + b * s
                        out += hd[row..<row + s]
                    }
                }
            }
        }
        return out
    }

    static func noise(width: Int, height: Int, seed: UInt64) -> RGBImage {
        var state = seed
        let pixels = (0..<(width * height * 3)).map { _ -> UInt8 in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    @Test(arguments: [(800, 600, 4), (800, 600, 16), (600, 800, 4), (333, 500, 9), (1001, 1000, 4), (336, 336, 1), (2000, 150, 16), (91, 37, 2)])
    func matchesStepByStep(size: (Int, Int, Int)) throws {
        let image = Self.noise(width: size.0, height: size.1, seed: UInt64(size.0 * 7919 + size.1))
        let fused = try Phi3VImageProcessor(numCrops: size.2).process(image).pixels
        let expected = try Self.stepByStep(image, numCrops: size.2)
        #expect(fused.count == expected.count)
        let differing = zip(fused, expected).filter { $0.bitPattern != $1.bitPattern }.count
        #expect(differing == 0, "\(size.0)x\(size.1) @\(size.2): \(differing) values differ")
    }
}
