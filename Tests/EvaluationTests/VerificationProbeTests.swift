import Testing
import Evaluation

/// The built-in verify probes cover text, image and text+image, carry the backbone's marker, and
/// their generated images are deterministic and distinct.
@Suite struct VerificationProbeTests {
    @Test func probesCoverEveryKindAndAreDeterministic() {
        let a = VerificationProbe.builtIn(imageMarker: "<image>"), b = VerificationProbe.builtIn(imageMarker: "<image>")
        #expect(Set(a.map { $0.kind.rawValue }) == ["text", "image", "text+image"])
        #expect(Set(a.map { $0.id }).count == a.count)
        for (x, y) in zip(a, b) { #expect(x.images == y.images) }
        for p in a where !p.images.isEmpty { #expect(p.text.contains("<image>")) }
        let images = a.flatMap { $0.images }
        #expect(Set(images.map { $0.pixels.hashValue }).count == images.count)
    }
}
