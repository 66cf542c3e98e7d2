import Kernels
import ModelGraph

/// A text decoder alone (`llama`: Llama/Mistral/SmolLM2; `phi3`: Phi-3 with fused projections and
/// LongRoPE) as an embedding model: the prompt's final-norm states, no image input.
public struct TextDecoderModel: EmbeddingModel {
    public let config: ModelConfig
    public let head: EmbeddingHead
    let decoder: TransformerDecoder

    public init(graph: ModelGraph) throws {
        config = graph.config
        head = graph.head ?? .vlm2vec(for: graph.config)
        decoder = try TransformerDecoder(graph: graph, fused: graph.config.kind == .phi3)
    }

    /// Why a text-only model refuses a request with images, and what would take them.
    static func imageRefusal(kind: ArchitectureKind, images: Int) -> String {
        let hint = kind == .llama ? " (a LLaVA-1.6 text GGUF takes images with its mmproj: --mmproj)" : ""
        return "\(kind.rawValue) is a text-only model but the request has \(images) image(s)\(hint)"
    }

    public var textDecoder: TransformerDecoder? { decoder }

    public func finalHiddenStates(_ input: PreparedInput, rows: DecoderRows, trace: Trace) throws -> FloatBuffer {
        guard input.images.isEmpty else {
            throw ModelError(Self.imageRefusal(kind: config.kind, images: input.images.count))
        }
        return try decoder.spliceAndRun(input.inputIds, slots: [], hasImages: false, rows: rows, trace: trace) { [] }
    }
}
