import Foundation
import Testing
import TensorFormats
@testable import Runtime

@Suite struct EmbeddingsAPIResponseTests {
    @Test func base64RoundTripsEveryBit() {
        let v: [Float] = [0, -0.0, 1, -1.5, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 0.1, Float(bitPattern: 0x3F80_0001)]
        let decoded = EmbeddingsAPIResponse.floats(base64: EmbeddingsAPIResponse.base64(v))
        #expect(decoded?.map(\.bitPattern) == v.map(\.bitPattern))
        // Little-endian float32: 1.0 is 00 00 80 3F.
        #expect(EmbeddingsAPIResponse.base64([1]) == Data([0, 0, 0x80, 0x3F]).base64EncodedString())
    }

    @Test func bodyHasOpenAIsShape() throws {
        let e = [Embedding(id: "0", vector: [0.5, -0.25], promptTokens: 3), Embedding(id: "1", vector: [1, 0], promptTokens: 4)]
        let json = try JSONParser.parse(String(decoding: EmbeddingsAPIResponse.body(e, model: "m", encoding: .float), as: UTF8.self))
        #expect(json["object"]?.stringValue == "list" && json["model"]?.stringValue == "m")
        #expect(json["usage"]?["prompt_tokens"]?.intValue == 7 && json["usage"]?["total_tokens"]?.intValue == 7)
        let data = json["data"]?.arrayValue ?? []
        #expect(data.count == 2 && data[1]["index"]?.intValue == 1 && data[0]["object"]?.stringValue == "embedding")
        #expect(data[0]["embedding"]?.arrayValue?.compactMap(\.doubleValue) == [0.5, -0.25])
    }

    @Test func floatsSurviveJSONExactly() throws {
        // Every float32 widened to a double and printed must parse back to the same float32.
        var rng = SystemRandomNumberGenerator()
        let v = (0..<512).map { _ in Float(bitPattern: UInt32.random(in: 0x0080_0000...0x7F00_0000, using: &rng)) * (Bool.random() ? 1 : -1) }
        let text = EmbeddingsAPIResponse.floats(v).serialized()
        let back = try JSONParser.parse(text).arrayValue?.compactMap { $0.doubleValue.map(Float.init) } ?? []
        #expect(back.map(\.bitPattern) == v.map(\.bitPattern))
    }

    @Test func errorBodyHasOpenAIsShape() throws {
        let json = try JSONParser.parse(String(decoding: EmbeddingsAPIResponse.error("bad", type: "invalid_request_error", param: "input"), as: UTF8.self))
        #expect(json["error"]?["message"]?.stringValue == "bad")
        #expect(json["error"]?["type"]?.stringValue == "invalid_request_error")
        #expect(json["error"]?["param"]?.stringValue == "input")
        #expect(json["error"]?["code"] == .null)
    }
}
