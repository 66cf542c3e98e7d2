import Foundation
import Testing
@testable import Runtime

@Suite struct EmbeddingsAPIRequestTests {
    let phi = EmbeddingsAPIRequest.Conventions(imageMarker: "<|image_1|>")
    let llava = EmbeddingsAPIRequest.Conventions(imageMarker: "<image>")

    func decode(_ body: String, _ c: EmbeddingsAPIRequest.Conventions? = nil) throws(APIRequestError) -> EmbeddingsAPIRequest {
        try EmbeddingsAPIRequest.decode(Array(body.utf8), conventions: c ?? phi)
    }

    func prompt(_ input: EmbeddingInput) -> (String, Int)? {
        if case .prompt(let t, let images) = input.content { return (t, images.count) }
        return nil
    }

    @Test func openAIStringAndStrings() throws {
        let one = try decode(#"{"model":"m","input":"hello"}"#)
        #expect(one.model == "m" && one.inputs.count == 1 && prompt(one.inputs[0])?.0 == "hello" && one.encoding == .float)
        let many = try decode(#"{"input":["a","b c"],"encoding_format":"base64","user":"u"}"#)
        #expect(many.inputs.map { prompt($0)?.0 } == ["a", "b c"] && many.encoding == .base64)
    }

    @Test func openAITokenArrays() throws {
        let one = try decode(#"{"input":[1, 2, 3]}"#)
        guard case .tokens(let ids) = one.inputs[0].content else { Issue.record("not tokens"); return }
        #expect(ids == [1, 2, 3])
        let two = try decode(#"{"input":[[1], [4, 5]]}"#)
        #expect(two.inputs.count == 2)
        guard case .tokens(let second) = two.inputs[1].content else { Issue.record("not tokens"); return }
        #expect(second == [4, 5])
    }

    @Test func vllmMessagesJoinPartsWithTheBackbonesMarker() throws {
        let url = RuntimeFixtures.dataURL(RuntimeFixtures.example, mime: "image/jpeg")
        let body = #"{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"\#(url)"}},{"type":"text","text":"Represent the given image."}]}],"encoding_format":"float"}"#
        let r = try decode(body)
        #expect(prompt(r.inputs[0])?.0 == "<|image_1|> Represent the given image.")
        #expect(prompt(r.inputs[0])?.1 == 1)
        let l = try decode(body, llava)
        #expect(prompt(l.inputs[0])?.0 == "<image> Represent the given image.")
        let two = try decode(#"{"messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"\#(url)"}},{"type":"image_url","image_url":{"url":"\#(url)"}}]}]}"#)
        #expect(prompt(two.inputs[0])?.0 == "a <|image_1|> <|image_2|>")
        let plain = try decode(#"{"messages":[{"role":"user","content":"just text"}]}"#)
        #expect(prompt(plain.inputs[0])?.0 == "just text")
    }

    @Test(arguments: [
        (#"{"input": "#, "invalid_json"),
        (#"[1,2]"#, "invalid_json"),
        (#"{"input": ""}"#, "input"),
        (#"{"input": []}"#, "input"),
        (#"{"input": [""]}"#, "input"),
        (#"{"input": [[]]}"#, "input"),
        (#"{"input": [["a"]]}"#, "input"),
        (#"{"input": 5}"#, "input"),
        (#"{"input": [{"a":1}]}"#, "input"),
        (#"{}"#, "input"),
        (#"{"input":"a","messages":[]}"#, "messages"),
        (#"{"input":"a","encoding_format":"int8"}"#, "encoding_format"),
        (#"{"input":"a","dimensions":"64"}"#, "dimensions"),
        (#"{"input":"a","model":3}"#, "model"),
        (#"{"input":"a","user":3}"#, "user"),
        (#"{"messages":[{"role":"user","content":[{"type":"audio","audio":"x"}]}]}"#, "unknown_content_part"),
        (#"{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,@@@"}}]}]}"#, "invalid_base64"),
        (#"{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"http://127.0.0.1/x.png"}}]}]}"#, "image_urls_disabled"),
        (#"{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"file:///etc/passwd"}}]}]}"#, "image_urls_disabled"),
        (#"{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"ftp://x/y.png"}}]}]}"#, "invalid_image_url"),
        (#"{"messages":[{"role":"user","content":"a"},{"role":"user","content":"b"}]}"#, "messages"),
        (#"{"messages":[{"role":"user","content":[]}]}"#, "messages"),
    ])
    func refusals(body: String, expected: String) {
        do {
            _ = try decode(body)
            Issue.record("accepted: \(body)")
        } catch {
            #expect(error.code == expected || error.param == expected, "\(body): \(error.message) code=\(error.code ?? "-") param=\(error.param ?? "-")")
            #expect(!error.message.contains("\n"))
        }
    }

    @Test func textOnlyModelsRefuseImageParts() {
        let url = RuntimeFixtures.dataURL(RuntimeFixtures.coffee, mime: "image/png")
        #expect(throws: APIRequestError.self) {
            try decode(#"{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"\#(url)"}}]}]}"#,
                       .init(imageMarker: ""))
        }
    }

    @Test func tooManyInputsAreRefused() {
        let body = #"{"input":["# + Array(repeating: #""a""#, count: EmbeddingsAPIRequest.maxInputs + 1).joined(separator: ",") + "]}"
        #expect(throws: APIRequestError.self) { try decode(body) }
    }
}
