/// One embedding request: `{"id": "q1", "text": "<|image_1|> Represent the given image.", "images": ["cat.jpg"]}`.
/// The prompt is in the backbone's own convention (`<|image_N|>` for phi3_v, `<image>` for llava_next;
/// `<|image_N|>` is also accepted for llava_next and rewritten). Reading them from files is the
/// Runtime's job (`RequestFile`).
public struct EmbeddingRequest: Sendable, Equatable {
    public var id: String
    public var text: String
    /// Image paths, resolved against the request file's folder when relative.
    public var images: [String]

    public init(id: String, text: String, images: [String] = []) {
        self.id = id
        self.text = text
        self.images = images
    }
}
