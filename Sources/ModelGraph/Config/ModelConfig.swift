/// The architectures vlmembed runs.
public enum ArchitectureKind: String, Sendable, CaseIterable, Codable {
    case phi3V = "phi3_v"
    case llavaNext = "llava_next"
    /// A llama-family text decoder alone (Llama, Mistral, SmolLM2): text-only embeddings.
    case llama = "llama"
    /// A Phi-3 text decoder alone (fused projections, LongRoPE): text-only embeddings.
    case phi3 = "phi3"

    /// True for the text-only kinds (no vision tower, no image input).
    public var isTextOnly: Bool { self == .llama || self == .phi3 }
}

/// Everything the forward pass needs to know about a model's shape.
public struct ModelConfig: Sendable, Equatable {
    public var kind: ArchitectureKind
    public var decoder: DecoderConfig
    /// The CLIP tower; nil for text-only models.
    public var vision: VisionConfig?
    /// How image features enter the decoder; nil for text-only models.
    public var image: ImageConfig?

    public init(kind: ArchitectureKind, decoder: DecoderConfig, vision: VisionConfig?, image: ImageConfig?) {
        self.kind = kind
        self.decoder = decoder
        self.vision = vision
        self.image = image
    }
}

/// How image features enter the decoder, per architecture.
public enum ImageConfig: Sendable, Equatable {
    case phi3V(Phi3VImageConfig)
    case llavaNext(LlavaNextImageConfig)
}

/// Phi-3-V's HD image embedding (`embd_layer`, `img_processor`, `preprocessor_config.json`).
public struct Phi3VImageConfig: Sendable, Equatable {
    /// CLIP feature width C; the separators and projector input are 4·C wide.
    public var imageDimOut: Int
    /// Crops for the HD transform (preprocessor_config.json `num_crops`; VLM2Vec uses 4).
    public var numCrops: Int
    public var imageMean: [Float]
    public var imageStd: [Float]
}

/// LLaVA-NeXT's anyres image embedding.
public struct LlavaNextImageConfig: Sendable, Equatable {
    public var imageTokenIndex: Int
    /// `image_grid_pinpoints` as (height, width).
    public var pinpoints: [GridSize]
    public var imageMean: [Float]
    public var imageStd: [Float]

    public struct GridSize: Sendable, Equatable {
        public var height: Int
        public var width: Int
    }
}
