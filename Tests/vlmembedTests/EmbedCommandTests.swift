import Foundation
import Testing
import TensorFormats

@Suite struct EmbedCommandTests {
    static let phi = CLIRunner.fixtures + "/models/phi3_v"
    static let llava = CLIRunner.fixtures + "/models/llava_next"
    static let images = CLIRunner.fixtures + "/reference/images"

    func writeRequests(_ lines: [String]) throws -> (String, String) {
        let dir = try CLIRunner.temporaryDirectory()
        try (lines.joined(separator: "\n") + "\n").write(toFile: dir + "/req.jsonl", atomically: true, encoding: .utf8)
        return (dir, dir + "/req.jsonl")
    }

    /// Embeddings from the command equal upstream's pooled embeddings, in request order, with ids.
    @Test func embedsInRequestOrderAndMatchesUpstream() throws {
        let (dir, req) = try writeRequests([
            #"{"id": "img", "text": "<|image_1|> Represent the given image.", "images": ["\#(Self.images)/example.jpg"]}"#,
            #"{"id": "txt", "text": "Find me an everyday image that matches the given caption: A cat and a dog."}"#,
        ])
        let r = try CLIRunner.run(["embed", "--model", Self.phi, "--input", req, "-o", dir + "/out.safetensors"])
        #expect(r.status == 0, "\(r.stderr)")
        let out = try SafetensorsFile(path: dir + "/out.safetensors")
        #expect(out.metadata["ids"] == #"["img","txt"]"#)
        let e = try out.floats(named: "embeddings")
        #expect(out.tensors.first?.shape == [2, 64])
        for (row, caseFile) in ["p02_image_only", "p01_text_query"].enumerated() {
            let ref = try SafetensorsFile(path: CLIRunner.fixtures + "/reference/cases/phi3_v/\(caseFile).safetensors").floats(named: "base.pooled_normalized")
            let ours = Array(e[(row * 64)..<((row + 1) * 64)])
            let dot = zip(ours, ref).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            #expect(dot >= 0.99999, "\(caseFile): cosine \(dot)")
        }
    }

    /// `--crops` sets Phi-3-V's HD crops: 4 (the fixture's num_crops) gives the default embedding
    /// bit for bit, 1 a different one; 0 is refused with one line and exit 2, writing nothing.
    @Test func cropsOverrideTheProcessorConfig() throws {
        let (dir, req) = try writeRequests([#"{"id": "img", "text": "<|image_1|> Represent the given image.", "images": ["\#(Self.images)/example.jpg"]}"#])
        var out: [String: [Float]] = [:]
        for crops in ["default", "4", "1"] {
            let extra = crops == "default" ? [] : ["--crops", crops]
            let r = try CLIRunner.run(["embed", "--model", Self.phi, "--input", req, "-o", dir + "/\(crops).safetensors"] + extra)
            #expect(r.status == 0, "\(r.stderr)")
            out[crops] = try SafetensorsFile(path: dir + "/\(crops).safetensors").floats(named: "embeddings")
        }
        #expect(out["4"] == out["default"])
        #expect(out["1"] != out["default"] && out["1"]?.count == out["default"]?.count)
        let bad = try CLIRunner.run(["embed", "--model", Self.phi, "--input", req, "-o", dir + "/bad.safetensors", "--crops", "0"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--crops must be between 1 and 64 (got 0)"), "\(bad.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/bad.safetensors"))
    }

    @Test func jsonlOutputAndTrace() throws {
        let (dir, req) = try writeRequests([#"{"id": "a", "text": "<image> Represent the given image.", "images": ["\#(Self.images)/tiny.png"]}"#])
        let r = try CLIRunner.run(["embed", "--model", Self.llava, "--input", req, "-o", dir + "/out.jsonl", "--trace", dir + "/t.safetensors", "--threads", "1"])
        #expect(r.status == 0, "\(r.stderr)")
        let line = try String(contentsOfFile: dir + "/out.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(line.count == 1)
        let json = try JSONParser.parse(String(line[0]))
        #expect(json["id"]?.stringValue == "a" && json["embedding"]?.arrayValue?.count == 48)
        let trace = try SafetensorsFile(path: dir + "/t.safetensors")
        for name in ["inputs_embeds", "layer_output.0", "layer_output.1", "final_norm", "vision_hidden", "image_features_packed", "pooled_normalized"] {
            #expect(trace.descriptor(named: name) != nil, "trace lacks \(name)")
        }
    }

    /// Bad requests: one line naming the request, exit 2, no output file.
    @Test(arguments: [
        (#"{"id": "m", "text": "<|image_1|> x", "images": ["/nonexistent/cat.png"]}"#, "'m'"),
        (#"{"id": "two", "text": "<|image_1|> <|image_2|> x", "images": ["IMG"]}"#, "'two'"),
        (#"{"id": "none", "text": "x", "images": ["IMG", "IMG"]}"#, "'none'"),
        (#"{"id": "trunc", "text": "<|image_1|> x", "images": ["TRUNC"]}"#, "'trunc'"),
        (#"{"id": 5, "text": 7}"#, "req.jsonl:1"),
        (#"not json"#, "req.jsonl:1"),
    ])
    func badRequestFailsWithOneLine(line: String, expected: String) throws {
        let dir = try CLIRunner.temporaryDirectory()
        let truncated = dir + "/trunc.png"
        let png = try Data(contentsOf: URL(fileURLWithPath: Self.images + "/tiny.png"))
        try png.prefix(200).write(to: URL(fileURLWithPath: truncated))
        let text = line.replacingOccurrences(of: "IMG", with: Self.images + "/tiny.png").replacingOccurrences(of: "TRUNC", with: truncated)
        try (text + "\n").write(toFile: dir + "/req.jsonl", atomically: true, encoding: .utf8)
        let out = dir + "/out.safetensors"
        let r = try CLIRunner.run(["embed", "--model", Self.phi, "--input", dir + "/req.jsonl", "-o", out])
        #expect(r.status == 2)
        #expect(r.errorLines.count == 1 && r.errorLines[0].contains(expected), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func keepGoingEmbedsTheOthers() throws {
        let (dir, req) = try writeRequests([
            #"{"id": "ok1", "text": "hello"}"#,
            #"{"id": "bad", "text": "<|image_1|> x", "images": ["/nonexistent.png"]}"#,
            #"{"id": "ok2", "text": "world"}"#,
        ])
        let r = try CLIRunner.run(["embed", "--model", Self.phi, "--input", req, "-o", dir + "/out.safetensors", "--keep-going"])
        #expect(r.status == 2)
        #expect(r.errorLines.count == 1 && r.errorLines[0].contains("'bad'"))
        let out = try SafetensorsFile(path: dir + "/out.safetensors")
        #expect(out.metadata["ids"] == #"["ok1","ok2"]"#)
    }

    @Test func unknownArchitectureIsRefused() throws {
        let dir = try CLIRunner.temporaryDirectory()
        try FileManager.default.copyItem(atPath: Self.phi, toPath: dir + "/m")
        let cfg = dir + "/m/config.json"
        try (try String(contentsOfFile: cfg, encoding: .utf8)).replacingOccurrences(of: "Phi3VForCausalLM", with: "BertModel")
            .replacingOccurrences(of: "\"phi3_v\"", with: "\"bert\"").write(toFile: cfg, atomically: true, encoding: .utf8)
        try #"{"id": "a", "text": "x"}"#.write(toFile: dir + "/req.jsonl", atomically: true, encoding: .utf8)
        let r = try CLIRunner.run(["embed", "--model", dir + "/m", "--input", dir + "/req.jsonl", "-o", dir + "/o.jsonl"])
        #expect(r.status == 2)
        #expect(r.errorLines.count == 1 && r.errorLines[0].contains("BertModel") && r.errorLines[0].contains("supported"), "\(r.stderr)")
    }
}

extension EmbedCommandTests {
    /// A request longer than the model's positions is refused with its length, before any forward work.
    @Test func tooLongRequestIsRefused() throws {
        let text = String(repeating: "word ", count: 9000)
        let (dir, req) = try writeRequests([#"{"id": "long", "text": "\#(text)"}"#])
        let r = try CLIRunner.run(["embed", "--model", Self.phi, "--input", req, "-o", dir + "/o.jsonl"])
        #expect(r.status == 2)
        #expect(r.errorLines.count == 1 && r.errorLines[0].contains("'long'") && r.errorLines[0].contains("8192"), "\(r.stderr)")
    }
}
