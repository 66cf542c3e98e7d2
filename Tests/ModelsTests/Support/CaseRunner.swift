import Foundation
import Models
import ModelGraph
import TensorFormats

/// Runs one row of a reference case through our forward pass, fed with the case's own
/// processor outputs (input_ids, pixel_values), and compares every stored intermediate.
struct CaseRunner {
    /// Per-tensor result: max abs error, bound 1e-4·(1 + max|ref|), compared count.
    struct TensorCheck: CustomStringConvertible {
        let name: String, error: Float, bound: Float, count: Int
        var passes: Bool { error <= bound }
        var description: String { "\(name): max err \(error) (bound \(bound), \(count) values)" }
    }

    struct RowResult {
        let caseID: String
        let row: Int
        let cosine: Double
        let checks: [TensorCheck]
    }

    /// The base models, loaded once per test process.
    static let loaded: [String: Swift.Result<any EmbeddingModel, any Error>] = Dictionary(uniqueKeysWithValues: ["phi3_v", "llava_next"].map { b in
        (b, Swift.Result { try EmbeddingModels.make(try ModelGraph.load(directory: ReferenceCase.modelsRoot + "/" + b)) })
    })

    static func model(_ backbone: String) throws -> any EmbeddingModel {
        guard let r = loaded[backbone] else { throw ModelError("unknown backbone \(backbone)") }
        return try r.get()
    }

    /// The row's prepared input when its pixels are stored in full (or it has no image); nil otherwise.
    static func preparedInput(_ c: ReferenceCase, row: Int) throws -> (PreparedInput, validRange: Range<Int>)? {
        let ids = try c.ints("input_ids"), mask = try c.ints("attention_mask")
        let shape = c.shape("input_ids")
        let L = shape[1]
        let rowIDs = Array(ids[(row * L)..<((row + 1) * L)])
        let rowMask = Array(mask[(row * L)..<((row + 1) * L)])
        let valid = rowMask.indices.filter { rowMask[$0] == 1 }
        guard let first = valid.first, let last = valid.last else { return nil }
        let range = first..<(last + 1)
        var input = PreparedInput(inputIds: Array(rowIDs[range]))
        let rowJSON = c.rows[row]
        guard rowJSON["image"]?.stringValue != nil else { return (input, range) }
        guard case .full(let pixels)? = try c.stored("pixel_values") else { return nil }
        let ps = c.fullShape("pixel_values") // [images, slots, 3, S, S]
        let perCrop = ps[2] * ps[3] * ps[4]
        // Which image of the batch this row's image is.
        let imageRows: [Int] = c.backbone == "phi3_v" ? ((try? c.ints("image_rows")) ?? [row]) : Array(0..<ps[0])
        guard let imageIndex = imageRows.firstIndex(of: row) else { return nil }
        let slots = ps[1]
        let base = imageIndex * slots * perCrop
        if c.backbone == "phi3_v" {
            let sizes = try c.ints("image_sizes")
            let rows = sizes[2 * imageIndex] / 336, cols = sizes[2 * imageIndex + 1] / 336
            let crops = 1 + rows * cols
            input.images = [PreparedImage(pixels: Array(pixels[base..<(base + crops * perCrop)]), crops: crops, layout: .phi3HD(rows: rows, columns: cols))]
        } else {
            let sizes = try c.ints("image_sizes")
            let best = rowJSON["best_resolution_hw"]?.arrayValue?.compactMap { $0.intValue } ?? [336, 336]
            let rows = best[0] / 336, cols = best[1] / 336
            let crops = 1 + rows * cols
            input.images = [PreparedImage(pixels: Array(pixels[base..<(base + crops * perCrop)]), crops: crops,
                                          layout: .llavaAnyres(rows: rows, columns: cols, originalHeight: sizes[2 * imageIndex], originalWidth: sizes[2 * imageIndex + 1]))]
        }
        return (input, range)
    }

    /// The row's valid (attention_mask == 1) positions in the padded batch.
    static func validRange(_ c: ReferenceCase, row: Int) throws -> Range<Int> {
        let mask = try c.ints("attention_mask"), L = c.shape("input_ids")[1]
        let valid = (0..<L).filter { mask[row * L + $0] == 1 }
        return (valid.first ?? 0)..<((valid.last ?? -1) + 1)
    }

    /// The row's reference input_ids at its valid positions.
    static func referenceIDs(_ c: ReferenceCase, row: Int) throws -> [Int] {
        let ids = try c.ints("input_ids"), L = c.shape("input_ids")[1]
        return try validRange(c, row: row).map { ids[row * L + $0] }
    }

    /// Runs and compares; nil when the row's inputs are not fully stored.
    static func run(_ c: ReferenceCase, row: Int, variant: String = "base") throws -> RowResult? {
        guard let (input, range) = try preparedInput(c, row: row) else { return nil }
        return try run(c, row: row, input: input, range: range, variant: variant, model: try model(c.backbone))
    }

    /// Runs a prepared input for a row and compares every stored intermediate of `variant`.
    static func run(_ c: ReferenceCase, row: Int, input: PreparedInput, range: Range<Int>, variant: String, model: any EmbeddingModel) throws -> RowResult? {
        let trace = Trace()
        let embedding = try model.embed(input, trace: trace)
        var checks: [TensorCheck] = []
        let batch = c.shape("input_ids")[0]
        let L = c.shape("input_ids")[1]
        for entry in trace.entries {
            let refName = variant + "." + entry.name
            guard let stored = try c.stored(refName) else { continue }
            let full = c.fullShape(refName)
            var ours = entry.values
            var shape = entry.shape
            var select: ((Int) -> Bool)?
            if entry.shape.count == 3, entry.shape[0] == 1, full.count == 3, full[1] == L, ["inputs_embeds", "final_norm"].contains(entry.name) || entry.name.hasPrefix("layer_output.") {
                // Sequence tensor: place our row into the batch layout at its valid positions.
                let h = entry.shape[2]
                shape = full
                ours = [Float](repeating: .nan, count: batch * L * h)
                for (k, pos) in range.enumerated() {
                    for j in 0..<h { ours[(row * L + pos) * h + j] = entry.values[k * h + j] }
                }
                select = { flat in !ours[flat].isNaN }
            } else if entry.name == "pooled" || entry.name == "pooled_normalized" {
                let h = entry.values.count
                shape = full
                ours = [Float](repeating: .nan, count: batch * h)
                for j in 0..<h { ours[row * h + j] = entry.values[j] }
                select = { flat in !ours[flat].isNaN }
            } else if batch > 1 {
                continue  // image tensors of batched cases are checked through single-row cases
            } else {
                select = { flat in flat < entry.values.count }
                shape = full
                if ours.count < full.reduce(1, *) { ours += [Float](repeating: .nan, count: full.reduce(1, *) - ours.count) }
            }
            let r = compare(ours: ours, shape: shape, with: stored, select: select)
            checks.append(TensorCheck(name: entry.name, error: r.error, bound: 1e-4 * (1 + r.scale), count: r.count))
        }
        guard case .full(let refPooled)? = try c.stored(variant + ".pooled_normalized") else { return nil }
        let h = embedding.count
        let cos = cosine(embedding, Array(refPooled[(row * h)..<((row + 1) * h)]))
        return RowResult(caseID: c.id, row: row, cosine: cos, checks: checks)
    }
}
