import Preprocessing

/// One input to embed, however it arrived (a JSON-lines row, an OpenAI string or token array, a
/// vLLM chat message): a prompt in the backbone's marker convention with its images, or token ids.
public struct EmbeddingInput: Sendable {
    /// Names the input in errors and outputs.
    public var id: String
    public var content: Content

    public enum Content: Sendable {
        /// A prompt (markers as `embed` takes them) and its images in prompt order.
        case prompt(String, images: [ImageInput])
        /// Token ids used as they are (no BOS added), as OpenAI's token-array input.
        case tokens([Int])
    }

    public init(id: String, content: Content) {
        self.id = id
        self.content = content
    }

    /// A prompt with images.
    public static func prompt(id: String, _ text: String, images: [ImageInput] = []) -> EmbeddingInput {
        EmbeddingInput(id: id, content: .prompt(text, images: images))
    }

    /// The input a JSON-lines request describes (image paths already resolved).
    public init(_ request: EmbeddingRequest) {
        self.init(id: request.id, content: .prompt(request.text, images: request.images.map { .file($0) }))
    }

    /// How many images it carries.
    public var imageCount: Int {
        if case .prompt(_, let images) = content { return images.count }
        return 0
    }
}

/// Where an image's bytes are.
public enum ImageInput: Sendable {
    /// A PNG or JPEG file.
    case file(String)
    /// An in-memory PNG or JPEG (e.g. a `data:` URL's payload); `name` is used in errors.
    case encoded([UInt8], name: String)
    /// Already decoded pixels.
    case decoded(RGBImage)
}
