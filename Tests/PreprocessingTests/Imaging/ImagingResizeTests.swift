import Foundation
import Preprocessing
import TensorFormats
import Testing

@Suite("Imaging: Pillow-exact resize, transpose, pad")
struct ImagingResizeTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let source: String, op: String, transpose: Bool, width: Int, height: Int, sha256: String
        var testDescription: String { "\(source) \(transpose ? "T " : "")\(op) → \(width)x\(height)" }
    }

    static func load(_ key: String) -> [Case] {
        ImagingFixtures.cases(key).compactMap { e in
            guard let s = e["source"] as? String, let op = e["op"] as? String, let w = e["width"] as? Int,
                  let h = e["height"] as? Int, let sha = e["sha256"] as? String else { return nil }
            return Case(source: s, op: op, transpose: e["transpose"] as? Bool ?? false, width: w, height: h, sha256: sha)
        }
    }

    static let synthetic = load("resize")
    static let reference = load("resize_reference")

    func run(_ c: Case) throws {
        let path = ImagingFixtures.sourcePath(c.source)
        guard FileManager.default.fileExists(atPath: path) else { Issue.record("missing fixture \(path)"); return }
        var img = try ImageDecoder.decode(contentsOf: path)
        let out: RGBImage
        switch c.op {
        case "transpose": out = img.transposed()
        default:
            if c.transpose { img = img.transposed() }
            out = img.resized(width: c.width, height: c.height, filter: c.op == "bicubic" ? .bicubic : .bilinear)
        }
        #expect(out.width == c.width && out.height == c.height)
        #expect(ImagingFixtures.sha256(out.pixels) == c.sha256, "\(c.testDescription) differs from Pillow")
    }

    @Test("synthetic cases byte-exact vs Pillow", arguments: synthetic)
    func syntheticCase(_ c: Case) throws { try run(c) }

    @Test("processor sizes on the reference images byte-exact vs Pillow", arguments: reference)
    func referenceCase(_ c: Case) throws { try run(c) }

    @Test("case tables are present")
    func tables() {
        #expect(Self.synthetic.count >= 80)
        #expect(Self.reference.count >= 20)
    }

    @Test("same size returns an equal copy")
    func sameSize() {
        let img = RGBImage(width: 3, height: 2, pixels: (0..<18).map { UInt8($0 * 13) })
        #expect(img.resized(width: 3, height: 2, filter: .bicubic) == img)
    }

    @Test("transpose twice is the identity; pad places the image")
    func transposeAndPad() {
        let img = RGBImage(width: 3, height: 2, pixels: (0..<18).map { UInt8($0) })
        let t = img.transposed()
        #expect(t.width == 2 && t.height == 3)
        #expect(Array(t.pixels[3..<6]) == Array(img.pixels[9..<12]))  // (x=1,y=0) ← (x=0,y=1)
        #expect(t.transposed() == img)
        let p = img.padded(top: 1, bottom: 2, left: 0, right: 1, color: (255, 255, 255))
        #expect(p.width == 4 && p.height == 5)
        #expect(p.pixels[0] == 255 && Array(p.pixels[12..<15]) == [0, 1, 2])
        #expect(p.cropped(x: 0, y: 1, width: 3, height: 2) == img)
        let c = img.paddedCentered(toWidth: 6, height: 5, color: (0, 0, 0))
        #expect(c.cropped(x: 1, y: 1, width: 3, height: 2) == img)
    }

    @Test("speed: 800x599 → 672x503 bilinear and → 672x504 bicubic")
    func speed() throws {
        let path = ImagingFixtures.referenceImages + "/decoded/example.decoded.png"
        guard FileManager.default.fileExists(atPath: path) else { Issue.record("missing fixture \(path)"); return }
        let img = try ImageDecoder.decode(contentsOf: path)
        let clock = ContinuousClock()
        var out = img
        let t = clock.measure {
            for _ in 0..<5 { out = img.resized(width: 672, height: 503, filter: .bilinear) }
            for _ in 0..<5 { out = img.resized(width: 672, height: 504, filter: .bicubic) }
        }
        print("imaging speed: 10 resizes of 800x599 in \(t)")
        #expect(out.width == 672)
    }
}
