import Foundation
import Testing
import TensorFormats

@Suite struct PreprocessCommandTests {
    /// `preprocess` on the anchor cases writes exactly upstream's processor outputs.
    @Test(arguments: [("phi3_v", "p02_image_only", "example.jpg", "<|image_1|> Represent the given image."),
                      ("llava_next", "l02_image_only", "example_small.png", "<image> Represent the given image.")])
    func writesUpstreamProcessorOutputs(model: String, caseID: String, image: String, prompt: String) throws {
        let dir = try CLIRunner.temporaryDirectory()
        let r = try CLIRunner.run(["preprocess", "--model", CLIRunner.fixtures + "/models/" + model,
                                   "--image", CLIRunner.fixtures + "/reference/images/" + image, "--text", prompt, "-o", dir + "/p.safetensors"])
        #expect(r.status == 0, "\(r.stderr)")
        let ours = try SafetensorsFile(path: dir + "/p.safetensors")
        let ref = try SafetensorsFile(path: CLIRunner.fixtures + "/reference/cases/\(model)/\(caseID).safetensors")
        for name in ["input_ids", "attention_mask", "image_sizes", "pixel_values"] {
            let a = try ours.tensorData(named: name), b = try ref.tensorData(named: name)
            #expect(a.descriptor.shape == b.descriptor.shape, "\(name) shape")
            let x = try a.floats(), y = try b.floats()
            let err = zip(x, y).map { abs($0 - $1) }.max() ?? 0
            #expect(x.count == y.count && err <= 1e-5, "\(name): max error \(err)")
        }
    }

    @Test func hugeImageIsRefusedBeforeDecoding() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let huge = CLIRunner.fixtures + "/images/bad/huge.png"
        let r = try CLIRunner.run(["preprocess", "--model", CLIRunner.fixtures + "/models/phi3_v", "--image", huge, "-o", dir + "/p.safetensors"])
        #expect(r.status == 2)
        #expect(r.errorLines.count == 1 && r.errorLines[0].contains("huge.png"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/p.safetensors"))
    }

    @Test func tokenizeMatchesUpstreamIDs() throws {
        let r = try CLIRunner.run(["tokenize", "--model", CLIRunner.fixtures + "/models/llava_next", "--text", " Hello world", "--json"])
        #expect(r.status == 0)
        let json = try JSONParser.parse(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(json["ids"]?.arrayValue?.compactMap { $0.intValue } == [1, 28705, 22557, 1526])
        let n = try CLIRunner.run(["tokenize", "--model", CLIRunner.fixtures + "/models/llava_next", "--text", " Hello world", "--no-special", "--json"])
        #expect((try JSONParser.parse(n.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))["ids"]?.arrayValue?.compactMap { $0.intValue } == [28705, 22557, 1526])
    }
}
