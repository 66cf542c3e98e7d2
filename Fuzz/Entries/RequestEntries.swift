import Preprocessing
import Runtime
import TensorFormats

/// Embedding requests as JSON lines (`embed --input`, `tokenize --input`, `verify --input`).
enum RequestEntries {
    /// The reader of request files.
    static let readRequests: @Sendable (String) throws -> [EmbeddingRequest] = RequestFile.read

    static let requests: FuzzEntries.Entry = { bytes in
        try Scratch.with([("requests.jsonl", bytes)]) { dir in
            _ = try readRequests(dir + "/requests.jsonl")
        }
    }

    /// A `POST /v1/embeddings` body (OpenAI and vLLM forms), decoded as the server decodes it, with
    /// Phi-3-V's numbered markers; image URLs are never fetched.
    static let apiBody: FuzzEntries.Entry = { bytes in
        _ = try EmbeddingsAPIRequest.decode(Array(bytes), conventions: .init(imageMarker: "<|image_1|>"))
    }
}
