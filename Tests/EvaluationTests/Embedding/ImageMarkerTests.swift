import Evaluation
import Testing

@Suite struct ImageMarkerTests {
    @Test func phiKeepsTheMMEBMarker() {
        let text = "<|image_1|>\nRepresent the given image.\n"
        #expect(ImageMarker.apply(text, backbone: "phi3_v") == text)
    }

    /// LLaVA-NeXT gets `<image>` wherever the data has `<|image_1|>`, image or not (WebQA, EDIS).
    @Test func llavaGetsItsOwnToken() {
        #expect(ImageMarker.apply("<|image_1|>\nFind a news image: x\n", backbone: "llava_next") == "<image>\nFind a news image: x\n")
        #expect(ImageMarker.apply("a <|image_1|> b <|image_1|>", backbone: "llava_next") == "a <image> b <image>")
        #expect(ImageMarker.apply("<|image_2|> stays", backbone: "llava_next") == "<|image_2|> stays")
    }

    @Test func resolutionDefaultsFollowUpstream() {
        #expect(ImageResolution.upstreamDefault(backbone: "phi3_v") == .original)
        #expect(ImageResolution.upstreamDefault(backbone: "llava_next") == .high)
        #expect(ImageResolution.high.side == 1344 && ImageResolution.low.side == 336 && ImageResolution.original.side == nil)
    }
}
