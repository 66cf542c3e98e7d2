import Preprocessing

/// The built-in probes `verify` embeds when no requests are given: text, image and text+image,
/// over images generated here (so no files are needed), in the backbone's prompt convention.
public struct VerificationProbe: Sendable {
    public enum Kind: String, Sendable { case text, image, textImage = "text+image" }
    public var id: String
    public var kind: Kind
    public var text: String
    public var images: [RGBImage]

    /// Eight probes: three texts, three images, two text+image; `marker` is the image marker.
    public static func builtIn(imageMarker marker: String, textOnly: Bool = false) -> [VerificationProbe] {
        let text = [
            VerificationProbe(id: "text-caption", kind: .text, text: "Find me an everyday image that matches the given caption: a red bicycle leaning on a wall", images: []),
            VerificationProbe(id: "text-question", kind: .text, text: "Represent the given question: what colour is the car parked outside the station?", images: []),
            VerificationProbe(id: "text-long", kind: .text, text: String(repeating: "The quick brown fox jumps over the lazy dog while the band plays on. ", count: 6), images: []),
        ]
        if textOnly {
            // Text-only models get more text instead of images: code, numbers, and a short query.
            return text + [
                VerificationProbe(id: "text-code", kind: .text, text: "Represent the given code: for (i, x) in values.enumerated() { total += x * Float(i) }", images: []),
                VerificationProbe(id: "text-numbers", kind: .text, text: "Invoice 2024-117: 3 items at 19.99, shipping 4.50, total 64.47 EUR.", images: []),
                VerificationProbe(id: "text-short", kind: .text, text: "cats", images: []),
            ]
        }
        return text + [
            VerificationProbe(id: "image-gradient", kind: .image, text: "\(marker) Represent the given image.", images: [generated(.gradient, width: 336, height: 336)]),
            VerificationProbe(id: "image-checker", kind: .image, text: "\(marker) Represent the given image.", images: [generated(.checkerboard, width: 640, height: 480)]),
            VerificationProbe(id: "image-rings", kind: .image, text: "\(marker) Represent the given image.", images: [generated(.rings, width: 300, height: 520)]),
            VerificationProbe(id: "text+image-question", kind: .textImage, text: "\(marker) Represent the given image with the following question: how many squares are there?",
                              images: [generated(.checkerboard, width: 400, height: 400)]),
            VerificationProbe(id: "text+image-classify", kind: .textImage, text: "\(marker) Represent the given image for classification",
                              images: [generated(.noise, width: 512, height: 384)]),
        ]
    }

    public enum Pattern: Sendable { case gradient, checkerboard, rings, noise }

    /// A deterministic synthetic RGB image.
    public static func generated(_ pattern: Pattern, width: Int, height: Int) -> RGBImage {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for y in 0..<height {
            for x in 0..<width {
                let i = (y * width + x) * 3
                let rgb: (Int, Int, Int)
                switch pattern {
                case .gradient:
                    rgb = (x * 255 / max(width - 1, 1), y * 255 / max(height - 1, 1), (x + y) * 255 / max(width + height - 2, 1))
                case .checkerboard:
                    let on = ((x / 40) + (y / 40)) % 2 == 0
                    rgb = on ? (230, 40, 40) : (20, 20, 120)
                case .rings:
                    let dx = x - width / 2, dy = y - height / 2
                    let r = Int(Double(dx * dx + dy * dy).squareRoot())
                    rgb = ((r * 7) % 256, (r * 3) % 256, 255 - (r * 5) % 256)
                case .noise:
                    state = state &* 6364136223846793005 &+ 1442695040888963407
                    let v = Int(state >> 40)
                    rgb = (v & 255, (v >> 8) & 255, (v >> 16) & 255)
                }
                pixels[i] = UInt8(clamping: rgb.0)
                pixels[i + 1] = UInt8(clamping: rgb.1)
                pixels[i + 2] = UInt8(clamping: rgb.2)
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }
}
