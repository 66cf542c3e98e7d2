/// How a graph turns final hidden states into an embedding, and how its prompts are written:
/// recorded on the graph by `attachEmbeddingHead()` so that whatever is written from it later
/// describes itself.
public struct EmbeddingHead: Sendable, Equatable, Codable {
    public enum Pooling: String, Sendable, Codable { case lastToken = "last_token" }

    public var pooling: Pooling
    public var normalize: Bool
    /// Padding side upstream batches with (we embed every request alone, so it is informational).
    public var paddingSide: String
    /// The image marker prompts use (`<|image_1|>` / `<image>`).
    public var imageMarker: String
    /// Phi-3-V's processor tokenises every chunk between image markers with its own BOS.
    public var bosPerChunk: Bool
    /// The token id image slots use (LLaVA-NeXT), or nil when slots are negative ids (Phi-3-V).
    public var imageTokenIndex: Int?

    public init(pooling: Pooling, normalize: Bool, paddingSide: String, imageMarker: String, bosPerChunk: Bool, imageTokenIndex: Int?) {
        self.pooling = pooling
        self.normalize = normalize
        self.paddingSide = paddingSide
        self.imageMarker = imageMarker
        self.bosPerChunk = bosPerChunk
        self.imageTokenIndex = imageTokenIndex
    }

    /// VLM2Vec's head for an architecture: last token, L2-normalised. Text-only decoders have no
    /// image marker.
    public static func vlm2vec(for config: ModelConfig) -> EmbeddingHead {
        switch config.image {
        case nil:
            return EmbeddingHead(pooling: .lastToken, normalize: true, paddingSide: "left", imageMarker: "", bosPerChunk: false, imageTokenIndex: nil)
        case .phi3V:
            return EmbeddingHead(pooling: .lastToken, normalize: true, paddingSide: "right", imageMarker: "<|image_1|>", bosPerChunk: true, imageTokenIndex: nil)
        case .llavaNext(let c):
            return EmbeddingHead(pooling: .lastToken, normalize: true, paddingSide: "left", imageMarker: "<image>", bosPerChunk: false, imageTokenIndex: c.imageTokenIndex)
        }
    }
}

extension ModelGraph {
    /// The embedding-head rewrite: drops `lm_head.weight` (nothing else uses it) and records the
    /// pooling, normalisation, padding and prompt conventions as graph attributes.
    public mutating func attachEmbeddingHead(_ head: EmbeddingHead? = nil) {
        remove("lm_head.weight")
        self.head = head ?? .vlm2vec(for: config)
    }
}
