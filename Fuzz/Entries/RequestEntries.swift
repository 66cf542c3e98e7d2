import Preprocessing
import TensorFormats

/// Embedding requests as JSON lines (`embed --input`, `tokenize --input`, `verify --input`).
enum RequestEntries {
    /// The reader of request files. On the `runtime` branch this is `RequestFile.read` (target
    /// `Runtime`): change this one line (and add "Runtime" to FuzzEntries' dependencies).
    static let readRequests: @Sendable (String) throws -> [EmbeddingRequest] = EmbeddingRequest.readJSONLines

    static let requests: FuzzEntries.Entry = { bytes in
        try Scratch.with([("requests.jsonl", bytes)]) { dir in
            _ = try readRequests(dir + "/requests.jsonl")
        }
    }
}
