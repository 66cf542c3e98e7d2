import Kernels

/// Packing: short text-only requests that arrive together run as one decoder pass
/// (`TransformerDecoder.runPacked`), each embedding bit-identical to embedding its input alone.
extension EmbeddingPipeline {
    /// Whether `input` can join a packed forward: text only — no images, and no image slots
    /// (Phi-3-V's negative ids), so its forward pass is the decoder over its token embeddings.
    public static func canPack(_ input: PreparedInput) -> Bool {
        input.images.isEmpty && !input.inputIds.contains { $0 < 0 }
    }

    /// Embeds prepared inputs (`preprocess`) in one packed forward; result i is bit-identical
    /// to `embed(id:input:)` of `items[i]` alone, whatever else is in the batch. Errors are per
    /// item and are the solo path's (an input refused before any work — empty, too long — gets
    /// exactly its solo error, naming its id). Inputs that cannot pack (`canPack`), or every
    /// input when the model has no `textDecoder`, are embedded alone.
    public func embedPacked(_ items: [(id: String, input: PreparedInput)]) -> [Result<[Float], any Error>] {
        var results = [Result<[Float], any Error>](repeating: .success([]), count: items.count)
        var packed: [Int] = []
        for (i, item) in items.enumerated() {
            if let decoder = model.textDecoder, Self.canPack(item.input), model.refusal(of: item.input) == nil,
               decoder.outOfVocabulary(item.input.inputIds, slots: []) == nil {
                packed.append(i)
            } else {
                results[i] = Result { try embed(id: item.id, input: item.input) }
            }
        }
        guard let decoder = model.textDecoder, !packed.isEmpty else { return results }
        // Longest first: the sequences long enough for the batched integer kernels sit side by side.
        packed.sort { a, b in
            let la = items[a].input.inputIds.count, lb = items[b].input.inputIds.count
            return la != lb ? la > lb : a < b
        }
        let lengths = packed.map { items[$0].input.inputIds.count }
        let states = decoder.runPacked(decoder.embed(packed.flatMap { items[$0].input.inputIds }), lengths: lengths)
        let h = decoder.config.hiddenSize
        for (row, i) in packed.enumerated() {
            results[i] = .success(model.embedding(ofLastState: Array(UnsafeBufferPointer(start: states.pointer + row * h, count: h))))
        }
        return results
    }
}
