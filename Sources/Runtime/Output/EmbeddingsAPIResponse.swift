import Foundation
import TensorFormats

/// The OpenAI `/v1/embeddings` response:
/// `{"object": "list", "data": [{"object": "embedding", "index", "embedding"}], "model", "usage": {"prompt_tokens", "total_tokens"}}`.
public enum EmbeddingsAPIResponse {
    /// The response body for `embeddings` (in input order) under `model`.
    public static func body(_ embeddings: [Embedding], model: String, encoding: EmbeddingEncoding) -> [UInt8] {
        let tokens = embeddings.reduce(0) { $0 + $1.promptTokens }
        let data = embeddings.enumerated().map { i, e in
            JSONValue.object([("object", .string("embedding")), ("index", .int(i)),
                              ("embedding", encoding == .float ? floats(e.vector) : .string(base64(e.vector)))])
        }
        let json = JSONValue.object([
            ("object", .string("list")), ("data", .array(data)), ("model", .string(model)),
            ("usage", .object([("prompt_tokens", .int(tokens)), ("total_tokens", .int(tokens))])),
        ])
        return Array(json.serialized().utf8)
    }

    /// An embedding as JSON numbers (each float32 widened exactly to a double).
    public static func floats(_ v: [Float]) -> JSONValue {
        .array(v.map { .double(Double($0)) })
    }

    /// Base64 of the little-endian float32 bytes (what OpenAI's SDKs decode with numpy `frombuffer(dtype=float32)`).
    public static func base64(_ v: [Float]) -> String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(v.count * 4)
        for f in v { withUnsafeBytes(of: f.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        return Data(bytes).base64EncodedString()
    }

    /// Decodes `base64` back to floats (nil when malformed); the inverse of `base64(_:)`.
    public static func floats(base64 text: String) -> [Float]? {
        guard let data = Data(base64Encoded: text), data.count % 4 == 0 else { return nil }
        let bytes = [UInt8](data)
        return stride(from: 0, to: bytes.count, by: 4).map { i -> Float in
            var word: UInt32 = 0
            for k in 0..<4 { word |= UInt32(bytes[i + k]) << UInt32(8 * k) }
            return Float(bitPattern: word)
        }
    }

    /// OpenAI's error body: `{"error": {"message", "type", "param", "code"}}`.
    public static func error(_ message: String, type: String, param: String? = nil, code: String? = nil) -> [UInt8] {
        let json = JSONValue.object([("error", .object([
            ("message", .string(message)), ("type", .string(type)),
            ("param", param.map { .string($0) } ?? .null), ("code", code.map { .string($0) } ?? .null),
        ]))])
        return Array(json.serialized().utf8)
    }
}
