import Bundle
import Runtime
import Models
import Preprocessing
import TensorFormats

/// Anything that turns an embedding request into an L2-normalised embedding: the seam between the
/// evaluator and the way a model is stored (a source checkpoint folder today; `.vlmb` bundles plug
/// in through `openEmbedder`).
public protocol RequestEmbedder: Sendable {
    /// The backbone, which decides the image marker: `"phi3_v"` or `"llava_next"`.
    var backbone: String { get }
    /// The model's image marker (`<|image_1|>`, `<image>`; empty for text-only models).
    var imageMarker: String { get }
    /// A stable checksum of everything that decides the embeddings (weights, tokenizer,
    /// preprocessing settings); cached embeddings are keyed by it.
    var modelIdentity: String { get }
    /// The embedding of one request (prompt already in the backbone's marker convention).
    func embed(_ request: EmbeddingRequest) throws -> [Float]
}

/// How the images are prepared before the processor; both change the embeddings, so both are part
/// of `modelIdentity`.
public struct EmbedderOptions: Sendable, Equatable {
    /// Phi-3-V HD crops (nil: `preprocessor_config.json`'s `num_crops`, 4 for VLM2Vec).
    public var numCrops: Int?
    /// VLM2Vec's eval `image_resolution` for non-Phi backbones (nil: the backbone's upstream default).
    public var imageResolution: ImageResolution?

    public init(numCrops: Int? = nil, imageResolution: ImageResolution? = nil) {
        self.numCrops = numCrops
        self.imageResolution = imageResolution
    }
}

/// VLM2Vec v1 eval's image resizing (`EvalDataset._get_image` / `_process_image`): every image is
/// resized to a square before the processor for every backbone except Phi-3-V, which never resizes.
public enum ImageResolution: String, Sendable, Equatable, CaseIterable {
    /// 1344×1344 (the paper's best LLaVA-1.6 model; v1's default).
    case high
    /// 336×336 (any other value in v1's eval).
    case low
    /// No resize.
    case original

    /// The square side, or nil for `original`.
    public var side: Int? {
        switch self {
        case .high: return 1344
        case .low: return 336
        case .original: return nil
        }
    }

    /// What VLM2Vec v1 eval does for `backbone` by default.
    public static func upstreamDefault(backbone: String) -> ImageResolution {
        backbone == "phi3_v" ? .original : .high
    }
}

/// Opens a model for evaluation: a Hugging Face folder (config.json + safetensors or
/// pytorch_model.bin, with an optional PEFT adapter merged at load), a GGUF (with its `clip`
/// mmproj for images) or a `.vlmb` bundle.
public func openEmbedder(path: String, adapter: String? = nil, mmproj: String? = nil, options: EmbedderOptions = EmbedderOptions()) throws -> any RequestEmbedder {
    guard FileSystem.isDirectory(path) || ModelSource.isBundle(path) || GGUFFile.isGGUF(path: path) else {
        throw FormatError(path, "eval needs a model folder (config.json + weights), a GGUF or a .vlmb bundle")
    }
    return try PipelineEmbedder(directory: path, adapter: adapter, mmproj: mmproj, options: options)
}
