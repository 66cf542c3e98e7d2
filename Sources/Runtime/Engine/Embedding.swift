/// One input's embedding: the final-norm state of its last token, L2-normalised.
public struct Embedding: Sendable, Equatable {
    public var id: String
    public var vector: [Float]
    /// Tokens in the prompt as the model saw it (image tokens included).
    public var promptTokens: Int

    public init(id: String, vector: [Float], promptTokens: Int) {
        self.id = id
        self.vector = vector
        self.promptTokens = promptTokens
    }
}
