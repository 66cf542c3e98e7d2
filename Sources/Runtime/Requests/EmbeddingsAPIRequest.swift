import Foundation
import TensorFormats

/// A `POST /v1/embeddings` body, in either form clients send:
///
/// - OpenAI's: `{"model", "input": string | [string] | [int] | [[int]], "encoding_format"?, "dimensions"?, "user"?}`;
/// - vLLM's chat form for multimodal embedders: `{"model", "messages": [{"role": "user", "content": [parts]}],
///   "encoding_format"?}`, parts joined as vLLM's VLM2Vec template joins them: a text part is its text, an
///   image part (`image_url` with a `data:` URL) becomes the backbone's marker, parts separated by one space.
public struct EmbeddingsAPIRequest: Sendable {
    public var model: String?
    public var inputs: [EmbeddingInput]
    public var encoding: EmbeddingEncoding
    public var dimensions: Int?

    /// Most inputs one request may carry (OpenAI's limit).
    public static let maxInputs = 2048

    /// How image markers are written for the model: `<|image_N|>` (numbered, Phi-3-V) or a fixed token.
    public struct Conventions: Sendable {
        /// The model's marker (`<|image_1|>` for phi3_v, `<image>` for llava_next, empty for text-only models).
        public var imageMarker: String
        /// Fetches `http(s)://` and `file://` image URLs; nil refuses them.
        public var fetchImage: (@Sendable (String) throws -> [UInt8])?

        public init(imageMarker: String, fetchImage: (@Sendable (String) throws -> [UInt8])? = nil) {
            self.imageMarker = imageMarker
            self.fetchImage = fetchImage
        }

        /// The marker of the `n`-th image (1-based) of a message.
        func marker(forImage n: Int) -> String {
            imageMarker == "<|image_1|>" ? "<|image_\(n)|>" : imageMarker
        }
    }

    /// Decodes a body; every problem is an `APIRequestError` naming the parameter.
    public static func decode(_ body: [UInt8], conventions: Conventions) throws(APIRequestError) -> EmbeddingsAPIRequest {
        let json: JSONValue
        do { json = try JSONParser.parse(String(decoding: body, as: UTF8.self)) } catch {
            throw APIRequestError("the body is not valid JSON: \(error)", code: "invalid_json")
        }
        guard json.objectValue != nil else { throw APIRequestError("the body must be a JSON object", code: "invalid_json") }
        var request = EmbeddingsAPIRequest(model: nil, inputs: [], encoding: .float, dimensions: nil)
        switch json["model"] {
        case nil, .null?: break
        case .string(let s)?: request.model = s
        default: throw APIRequestError("'model' must be a string", param: "model")
        }
        switch json["encoding_format"] {
        case nil, .null?: break
        case .string(let s)?:
            guard let e = EmbeddingEncoding(rawValue: s) else {
                throw APIRequestError("'encoding_format' must be \"float\" or \"base64\" (got \"\(s)\")", param: "encoding_format")
            }
            request.encoding = e
        default: throw APIRequestError("'encoding_format' must be a string", param: "encoding_format")
        }
        switch json["dimensions"] {
        case nil, .null?: break
        case .int(let d)?: request.dimensions = d
        default: throw APIRequestError("'dimensions' must be an integer", param: "dimensions")
        }
        if let user = json["user"], user != .null, user.stringValue == nil {
            throw APIRequestError("'user' must be a string", param: "user")
        }
        switch (json["input"], json["messages"]) {
        case (let input?, nil): request.inputs = try inputs(from: input)
        case (nil, let messages?): request.inputs = [try input(fromMessages: messages, conventions: conventions)]
        case (nil, nil): throw APIRequestError("the body needs 'input' (OpenAI form) or 'messages' (chat form)", param: "input")
        case (_?, _?): throw APIRequestError("give 'input' or 'messages', not both", param: "messages")
        }
        guard request.inputs.count <= maxInputs else {
            throw APIRequestError("'input' has \(request.inputs.count) items, more than \(maxInputs)", param: "input")
        }
        return request
    }

    /// OpenAI's `input`: a string, strings, a token array or token arrays.
    static func inputs(from value: JSONValue) throws(APIRequestError) -> [EmbeddingInput] {
        switch value {
        case .string(let s):
            guard !s.isEmpty else { throw APIRequestError("'input' must not be empty", param: "input") }
            return [.prompt(id: "0", s)]
        case .array(let items):
            guard !items.isEmpty else { throw APIRequestError("'input' must not be an empty array", param: "input") }
            if items.allSatisfy({ if case .int = $0 { return true }; return false }) {
                return [EmbeddingInput(id: "0", content: .tokens(items.compactMap(\.intValue)))]
            }
            var out: [EmbeddingInput] = []
            for (i, item) in items.enumerated() {
                switch item {
                case .string(let s):
                    guard !s.isEmpty else { throw APIRequestError("'input[\(i)]' must not be empty", param: "input") }
                    out.append(.prompt(id: String(i), s))
                case .array(let ids):
                    guard !ids.isEmpty else { throw APIRequestError("'input[\(i)]' must not be an empty token array", param: "input") }
                    var tokens: [Int] = []
                    for id in ids {
                        guard case .int(let t) = id else {
                            throw APIRequestError("'input[\(i)]' must hold integer token ids", param: "input")
                        }
                        tokens.append(t)
                    }
                    out.append(EmbeddingInput(id: String(i), content: .tokens(tokens)))
                default:
                    throw APIRequestError("'input[\(i)]' must be a string or an array of token ids", param: "input")
                }
            }
            return out
        default:
            throw APIRequestError("'input' must be a string, an array of strings or an array of token ids", param: "input")
        }
    }

    /// vLLM's chat form: exactly one message; its text parts and images joined with single spaces.
    static func input(fromMessages value: JSONValue, conventions: Conventions) throws(APIRequestError) -> EmbeddingInput {
        guard let messages = value.arrayValue else { throw APIRequestError("'messages' must be an array", param: "messages") }
        guard messages.count == 1 else {
            throw APIRequestError("'messages' must hold exactly one message (embedding models embed one message at a time; got \(messages.count))", param: "messages")
        }
        let message = messages[0]
        guard message.objectValue != nil else { throw APIRequestError("'messages[0]' must be an object", param: "messages") }
        if let role = message["role"], role.stringValue == nil {
            throw APIRequestError("'messages[0].role' must be a string", param: "messages")
        }
        var parts: [String] = []
        var images: [ImageInput] = []
        switch message["content"] {
        case .string(let s)?:
            parts.append(s)
        case .array(let items)?:
            for (i, part) in items.enumerated() {
                let where_ = "messages[0].content[\(i)]"
                guard part.objectValue != nil, let type = part["type"]?.stringValue else {
                    throw APIRequestError("'\(where_)' must be an object with a 'type'", param: "messages")
                }
                switch type {
                case "text":
                    guard let text = part["text"]?.stringValue else {
                        throw APIRequestError("'\(where_).text' must be a string", param: "messages")
                    }
                    parts.append(text)
                case "image_url":
                    guard !conventions.imageMarker.isEmpty else {
                        throw APIRequestError("this model is text-only: '\(where_)' is an image", param: "messages", code: "images_not_supported")
                    }
                    guard let url = part["image_url"]?["url"]?.stringValue ?? part["image_url"]?.stringValue else {
                        throw APIRequestError("'\(where_).image_url.url' must be a string", param: "messages")
                    }
                    images.append(try image(from: url, where_: where_, conventions: conventions))
                    parts.append(conventions.marker(forImage: images.count))
                default:
                    throw APIRequestError("'\(where_)' has an unknown content part type \"\(type)\" (text and image_url are supported)", param: "messages", code: "unknown_content_part")
                }
            }
        default:
            throw APIRequestError("'messages[0].content' must be a string or an array of content parts", param: "messages")
        }
        let text = parts.joined(separator: " ")
        guard !text.isEmpty || !images.isEmpty else { throw APIRequestError("the message is empty", param: "messages") }
        return .prompt(id: "0", text, images: images)
    }

    /// An image part's bytes: a `data:` URL's payload, or a fetched URL when fetching is allowed.
    static func image(from url: String, where_: String, conventions: Conventions) throws(APIRequestError) -> ImageInput {
        if url.hasPrefix("data:") {
            return .encoded(try DataURL.payload(url, where_: where_), name: where_)
        }
        let lower = url.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://") || lower.hasPrefix("file://") else {
            throw APIRequestError("'\(where_)': image URLs must be data: URLs", param: "messages", code: "invalid_image_url")
        }
        guard let fetch = conventions.fetchImage else {
            throw APIRequestError("'\(where_)': this server does not fetch image URLs (send the image as a data: URL, or start the server with --allow-image-urls)", param: "messages", code: "image_urls_disabled")
        }
        do { return .encoded(try fetch(url), name: where_) } catch let e as APIRequestError { throw e } catch {
            throw APIRequestError("'\(where_)': \(error)", param: "messages", code: "image_fetch_failed")
        }
    }
}

/// How embeddings are encoded in a response.
public enum EmbeddingEncoding: String, Sendable {
    /// JSON numbers.
    case float
    /// Base64 of the little-endian float32 bytes.
    case base64
}

/// A request body the API refuses (HTTP 400), in OpenAI's error terms.
public struct APIRequestError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var param: String?
    public var code: String?

    public init(_ message: String, param: String? = nil, code: String? = nil) {
        self.message = message
        self.param = param
        self.code = code
    }

    public var description: String { message }
}
