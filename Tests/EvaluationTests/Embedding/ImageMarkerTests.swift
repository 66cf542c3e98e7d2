import Evaluation
import Testing

@Suite struct ImageMarkerTests {
    @Test func phiKeepsTheMMEBMarker() {
        let text = "<|image_1|>\nRepresent the given image.\n"
        #expect(ImageMarker.apply(text, marker: "<|image_1|>") == text)
    }

    /// LLaVA-NeXT gets `<image>` wherever the data has `<|image_1|>`, image or not (WebQA, EDIS).
    @Test func llavaGetsItsOwnToken() {
        #expect(ImageMarker.apply("<|image_1|>\nFind a news image: x\n", marker: "<image>") == "<image>\nFind a news image: x\n")
        #expect(ImageMarker.apply("a <|image_1|> b <|image_1|>", marker: "<image>") == "a <image> b <image>")
        #expect(ImageMarker.apply("<|image_2|> stays", marker: "<image>") == "<|image_2|> stays")
    }

    @Test func textOnlyModelsKeepTheMarkerAsText() {
        #expect(ImageMarker.apply("<|image_1|> x", marker: "") == "<|image_1|> x")
    }

    @Test func resolutionDefaultsFollowUpstream() {
        #expect(ImageResolution.upstreamDefault(backbone: "phi3_v") == .original)
        #expect(ImageResolution.upstreamDefault(backbone: "llava_next") == .high)
        #expect(ImageResolution.high.side == 1344 && ImageResolution.low.side == 336 && ImageResolution.original.side == nil)
    }
}
