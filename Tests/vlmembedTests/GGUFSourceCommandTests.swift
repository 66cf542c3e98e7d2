import Foundation
import Testing
import TensorFormats

/// GGUF models on the command line: a LLaVA-1.6 text GGUF with its mmproj embeds text+image
/// requests, converts to a bundle that verifies against the GGUF and embeds the same; bad GGUF
/// inputs fail with one line, exit 2 and no output.
@Suite(.serialized) struct GGUFSourceCommandTests {
    static let image = CLIRunner.fixtures + "/reference/images/example.jpg"

    /// Unpacks a committed twin (`Fixtures/gguf_twins/NAME.xz`) into `dir`.
    static func twin(_ name: String, into dir: String) throws -> String {
        let out = dir + "/" + name
        let r = try CLIRunner.run(["-c", "xz -dc \"$0\" > \"$1\"", CLIRunner.fixtures + "/gguf_twins/\(name).xz", out], executable: "/bin/sh")
        #expect(r.status == 0, "\(r.stderr)")
        return out
    }

    static func requests(in dir: String) throws -> String {
        let path = dir + "/requests.jsonl"
        let lines = [#"{"id": "t", "text": "Represent the given sentence: a lighthouse on a cliff"}"#,
                     #"{"id": "ti", "text": "<image> Represent the given image with the question: what is in the sky?", "images": ["\#(image)"]}"#]
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func embeddings(_ path: String) throws -> [[Float]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { line in
            try JSONParser.parse(String(line))["embedding"]?.arrayValue?.compactMap { $0.doubleValue.map(Float.init) } ?? []
        }
    }

    @Test func llavaTextAndMMProjConvertVerifyAndEmbed() throws {
        let dir = try CLIRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let text = try Self.twin("llava_next-text-f16.gguf", into: dir), mmproj = try Self.twin("llava_next-mmproj-f16.gguf", into: dir)
        let input = try Self.requests(in: dir)
        let fromGGUF = try CLIRunner.run(["embed", "--model", text, "--mmproj", mmproj, "--input", input, "-o", dir + "/gguf.jsonl"])
        #expect(fromGGUF.status == 0, "\(fromGGUF.stderr)")
        let bundle = dir + "/llava.vlmb"
        let convert = try CLIRunner.run(["convert", text, "--mmproj", mmproj, "--quant", "int8", "-o", bundle])
        #expect(convert.status == 0, "\(convert.stderr)")
        let verify = try CLIRunner.run(["verify", bundle, "--reference", text, "--mmproj", mmproj])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        let fromBundle = try CLIRunner.run(["embed", "--model", bundle, "--input", input, "-o", dir + "/bundle.jsonl"])
        #expect(fromBundle.status == 0, "\(fromBundle.stderr)")
        let a = try Self.embeddings(dir + "/gguf.jsonl"), b = try Self.embeddings(dir + "/bundle.jsonl")
        #expect(a.count == 2 && b.count == 2 && a.allSatisfy { $0.count == 48 })
        for (x, y) in zip(a, b) {
            let cos = zip(x, y).map { Double($0) * Double($1) }.reduce(0, +)
            #expect(cos >= 0.995, "int8 bundle from GGUF vs GGUF: cosine \(cos)")
        }
        // The bundle carries the GGUF vocabulary: tokenize from it equals tokenize from the GGUF.
        let t1 = try CLIRunner.run(["tokenize", "--model", text, "--text", "<image> a lighthouse", "--json"])
        let t2 = try CLIRunner.run(["tokenize", "--model", bundle, "--text", "<image> a lighthouse", "--json"])
        #expect(t1.status == 0 && t1.stdout == t2.stdout && !t1.stdout.isEmpty, "\(t1.stderr)\(t2.stderr)")
    }

    @Test func unsupportedArchitectureIsNamedWithTheSupportedOnes() throws {
        let dir = try CLIRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = dir + "/gpt2.gguf"
        let w = try GGUFWriter(path: model, metadata: [("general.architecture", .string("gpt2"))], tensors: [])
        try w.finish()
        let r = try CLIRunner.run(["embed", "--model", model, "--input", try Self.requests(in: dir), "-o", dir + "/out.jsonl"])
        #expect(r.status == 2)
        #expect(r.errorLines.count == 1, "\(r.stderr)")
        let line = r.errorLines.first ?? ""
        #expect(line.contains(model) && line.contains("'gpt2'") && line.contains("llama") && line.contains("phi3"), "\(line)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/out.jsonl"))
    }

    @Test func mmprojOfAnotherWidthIsRefusedWithBothWidths() throws {
        let dir = try CLIRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let text = try Self.twin("llava_next-text-f16.gguf", into: dir)
        let mmproj = dir + "/mmproj-32.gguf"
        let w = try GGUFWriter(path: mmproj, metadata: [("general.architecture", .string("clip")), ("clip.projector_type", .string("mlp"))],
                               tensors: [GGUFTensorSpec(name: "mm.2.weight", shape: [32, 48], type: .f32)])
        try w.writeTensor(floats: [Float](repeating: 0.5, count: 32 * 48))
        try w.finish()
        let r = try CLIRunner.run(["convert", text, "--mmproj", mmproj, "--quant", "int8", "-o", dir + "/out.vlmb"])
        #expect(r.status == 2)
        let line = r.errorLines.first ?? ""
        #expect(r.errorLines.count == 1 && line.contains(mmproj) && line.contains("32") && line.contains("48"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/out.vlmb"))
        // An mmproj given as the model is recognised as one.
        let swapped = try CLIRunner.run(["embed", "--model", try Self.twin("llava_next-mmproj-f16.gguf", into: dir), "--input", try Self.requests(in: dir), "-o", dir + "/o.jsonl"])
        #expect(swapped.status == 2 && (swapped.errorLines.first ?? "").contains("--mmproj"), "\(swapped.stderr)")
    }
}
