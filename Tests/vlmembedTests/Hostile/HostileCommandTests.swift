import Foundation
import Testing
import TensorFormats

/// Command-level outcomes of hostile input: one error line, exit 2, nothing written — or, for
/// absurd `--threads`, a warning and a normal run.
@Suite struct HostileCommandTests {
    static let phi = CLIRunner.fixtures + "/models/phi3_v"

    @Test func keepGoingWithEveryRequestFailingWritesNothing() throws {
        let dir = try CLIRunner.temporaryDirectory()
        try [#"{"id": "a", "text": "x", "images": ["missing1.png"]}"#, #"{"id": "b", "text": "y", "images": ["missing2.png"]}"#]
            .joined(separator: "\n").write(toFile: dir + "/req.jsonl", atomically: true, encoding: .utf8)
        let r = try CLIRunner.run(["embed", "--model", Self.phi, "--input", dir + "/req.jsonl", "-o", dir + "/out.jsonl", "--keep-going"])
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.errorLines.count == 3, "\(r.stderr)")
        #expect(r.errorLines.last?.hasSuffix("all 2 requests failed; no output written") == true, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/out.jsonl"))
    }

    @Test func absurdThreadCountIsCappedWithAWarning() throws {
        let dir = try CLIRunner.temporaryDirectory()
        try #"{"id": "t", "text": "a cat"}"#.write(toFile: dir + "/req.jsonl", atomically: true, encoding: .utf8)
        let r = try CLIRunner.run(["embed", "--model", Self.phi, "--input", dir + "/req.jsonl", "-o", dir + "/out.jsonl", "--threads", "9223372036854775807"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("--threads 9223372036854775807 capped to 256"), "\(r.stderr)")
    }

    @Test func convertRefusesAnInvalidTokenizerBeforeWriting() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let model = dir + "/model"
        try FileManager.default.copyItem(atPath: Self.phi, toPath: model)
        var text = try String(contentsOfFile: model + "/tokenizer.json", encoding: .utf8)
        let range = try #require(text.range(of: "\"added_tokens\": [") ?? text.range(of: "\"added_tokens\":["))
        text.insert(contentsOf: #"{"id": 1000000000000, "content": "<huge>", "special": true},"#, at: range.upperBound)
        try text.write(toFile: model + "/tokenizer.json", atomically: true, encoding: .utf8)
        let r = try CLIRunner.run(["convert", model, "--quant", "int8", "-o", dir + "/out.vlmb"])
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.errorLines.first?.contains("tokenizer.json: added token '<huge>' has id 1000000000000") == true, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/out.vlmb"))
    }

    @Test func controlCharactersInNamesAreEscapedOnStderr() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let path = dir + "/evil\u{1b}[2J.gguf"
        try Data("GGUF".utf8).write(to: URL(fileURLWithPath: path))
        let r = try CLIRunner.run(["inspect", path])
        #expect(r.status == 2)
        #expect(!r.stderr.contains("\u{1b}"), "\(r.stderr)")
        #expect(r.stderr.contains("evil\\u{1B}[2J.gguf"), "\(r.stderr)")
    }

    @Test func outputOntoADeviceIsRefused() throws {
        let r = try CLIRunner.run(["export", Self.phi, "--format", "safetensors", "-o", "/dev/null"])
        #expect(r.status == 2)
        #expect(r.errorLines.first?.contains("/dev/null: output path exists and is not a regular file") == true, "\(r.stderr)")
    }
}
