import Kernels
import ModelGraph
import TensorFormats

/// A backbone that turns a prepared request into final-norm hidden states.
public protocol EmbeddingModel: Sendable {
    var config: ModelConfig { get }
    /// Pooling and normalisation (last token; VLM2Vec always normalises).
    var head: EmbeddingHead { get }
    /// Final-norm states for one request: `[L × H]` (L = inputIds.count) for `.all`, `[1 × H]` (the
    /// last position) for `.last` unless `trace` is enabled (a trace always gets every row).
    func finalHiddenStates(_ input: PreparedInput, rows: DecoderRows, trace: Trace) throws -> FloatBuffer
    /// The decoder a text-only input (no images, no image slots) runs through: its final-norm
    /// states are this decoder's `run` over its token embeddings (`embed`), nothing else. Packed
    /// forwards reach the decoder here; nil: this model's inputs are embedded one at a time.
    var textDecoder: TransformerDecoder? { get }
}

extension EmbeddingModel {
    /// The VLM2Vec embedding: the last token's final-norm state, L2-normalised.
    public func embed(_ input: PreparedInput, trace: Trace = .disabled) throws -> [Float] {
        if let refusal = refusal(of: input) { throw refusal }
        let y = try finalHiddenStates(input, rows: .last, trace: trace)
        let h = config.decoder.hiddenSize
        let lastRow = y.count / h - 1
        return embedding(ofLastState: Array(UnsafeBufferPointer(start: y.pointer + lastRow * h, count: h)), trace: trace)
    }

    /// Why `embed` refuses `input` before any work (no tokens, or more than the model's
    /// positions), or nil.
    public func refusal(of input: PreparedInput) -> ModelError? {
        guard !input.inputIds.isEmpty else { return ModelError("empty request: no tokens") }
        let length = input.inputIds.count
        guard length <= config.decoder.maxPositions else {
            return ModelError("request has \(length) tokens, more than the model's \(config.decoder.maxPositions) positions")
        }
        return nil
    }

    /// The embedding of the last token's final-norm state `pooled`: L2-normalised when the head
    /// says so (VLM2Vec always does).
    public func embedding(ofLastState pooled: [Float], trace: Trace = .disabled) -> [Float] {
        trace.record("pooled", shape: [1, pooled.count], pooled)
        guard head.normalize else { return pooled }
        let normalized = Normalization.l2Normalized(pooled)
        trace.record("pooled_normalized", shape: [1, normalized.count], normalized)
        return normalized
    }
}

/// Builds the forward pass for a graph's architecture.
public enum EmbeddingModels {
    public static func make(_ graph: ModelGraph) throws -> any EmbeddingModel {
        guard (graph.head ?? .vlm2vec(for: graph.config)).pooling == .lastToken else { throw ModelError("only last-token pooling is supported") }
        switch graph.config.kind {
        case .phi3V: return try Phi3VModel(graph: graph)
        case .llavaNext: return try LlavaNextModel(graph: graph)
        case .llama, .phi3: return try TextDecoderModel(graph: graph)
        }
    }
}

/// A forward-pass failure tied to a request; one line.
public struct ModelError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { TerminalText.escaped(message) }
}
