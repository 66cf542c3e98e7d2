import Bundle
import Kernels
import ModelGraph

/// What a loaded model is, for `/v1/models`, logs and reports.
public struct ModelInfo: Sendable, Equatable {
    /// The name clients use (`model` in requests): the file or folder name.
    public var id: String
    /// The path it was opened from.
    public var path: String
    /// `phi3_v`, `llava_next`, `llama` or `phi3`.
    public var backbone: String
    /// Embedding width (the decoder's hidden size).
    public var width: Int
    /// The most tokens one input may have (the decoder's positions).
    public var maxPositions: Int
    /// The token-id range token inputs must fall in.
    public var vocabularySize: Int
    /// The prompt marker an image takes (empty for text-only models).
    public var imageMarker: String
    /// Whether the model takes images at all.
    public var takesImages: Bool
    /// Weight schemes: a bundle's decoder and vision schemes, or `source` for checkpoints.
    public var decoderScheme: String
    public var visionScheme: String
    /// The kernel path products run on.
    public var kernelPath: String
}

extension ModelInfo {
    init(spec: ModelSpec, graph: ModelGraph, head: EmbeddingHead, bundle: BundleFile?) {
        let name = spec.path.split(separator: "/").last.map(String.init) ?? spec.path
        id = name
        path = spec.path
        backbone = graph.config.kind.rawValue
        width = graph.config.decoder.hiddenSize
        maxPositions = graph.config.decoder.maxPositions
        vocabularySize = graph.config.decoder.vocabSize
        imageMarker = head.imageMarker
        takesImages = graph.config.image != nil
        decoderScheme = bundle?.manifest.plan.decoder.name ?? "source"
        visionScheme = takesImages ? (bundle?.manifest.plan.vision.name ?? "source") : "none"
        kernelPath = KernelISA.active.rawValue
    }
}
