import TensorFormats

/// What `vlmembed inspect --graph` prints: the architecture, its hyperparameters, the parts and
/// their tensors under canonical names (shape, storage), the embedding head, and the modules an
/// adapter touched with rank and scale.
public struct GraphReport: Sendable {
    public let graph: ModelGraph
    public let merges: [AdapterMergeRecord]

    public init(graph: ModelGraph, merges: [AdapterMergeRecord]) {
        self.graph = graph
        self.merges = merges
    }

    static func part(_ name: String) -> String { String(name.split(separator: ".").first ?? "") }

    public var json: JSONValue {
        let c = graph.config, d = c.decoder, v = c.vision
        let mergeByName = Dictionary(merges.map { ($0.canonical, $0) }, uniquingKeysWith: { a, _ in a })
        var parts: [(String, JSONValue)] = []
        for p in ["vision", "projector", "image", "decoder", "lm_head"] {
            let names = graph.tensorNames.filter { Self.part($0) == p }
            if names.isEmpty { continue }
            parts.append((p, .array(names.compactMap { n in
                guard let t = graph.tensors[n] else { return nil }
                var o: [(String, JSONValue)] = [("name", .string(n)), ("shape", .array(t.shape.map { .int($0) })), ("storage", .string(t.storageName))]
                if let m = mergeByName[n] {
                    o.append(("adapter", .object([("module", .string(m.module)), ("rank", .int(m.rank)), ("scale", .double(Double(m.scale))), ("dora", .bool(m.dora))])))
                }
                return .object(o)
            })))
        }
        let head: JSONValue = graph.head.map { h in
            .object([("pooling", .string(h.pooling.rawValue)), ("normalize", .bool(h.normalize)), ("padding_side", .string(h.paddingSide)),
                     ("image_marker", .string(h.imageMarker)), ("bos_per_chunk", .bool(h.bosPerChunk)),
                     ("image_token_index", h.imageTokenIndex.map { .int($0) } ?? .null)])
        } ?? .null
        return .object([
            ("architecture", .string(c.kind.rawValue)),
            ("decoder", .object([("layers", .int(d.layerCount)), ("hidden", .int(d.hiddenSize)), ("intermediate", .int(d.intermediateSize)),
                                 ("heads", .int(d.headCount)), ("kv_heads", .int(d.kvHeadCount)), ("head_dim", .int(d.headDim)), ("vocab", .int(d.vocabSize)),
                                 ("rope", .string(d.rope == .none ? "rope theta \(d.ropeTheta)" : "longrope theta \(d.ropeTheta), scale \(d.ropeAttentionScale)"))])),
            ("vision", v.map { v in .object([("layers", .int(v.layerCount)), ("layers_run", .int(v.layersToRun)), ("hidden", .int(v.hiddenSize)),
                                             ("heads", .int(v.headCount)), ("patch", .int(v.patchSize)), ("image", .int(v.imageSize))]) } ?? .null),
            ("head", head),
            ("adapter_modules", .int(merges.count)),
            ("parts", .object(parts)),
            ("ignored_source_tensors", .array(graph.ignoredSourceTensors.map { .string($0) })),
        ])
    }

    public var text: String {
        let c = graph.config, d = c.decoder, v = c.vision
        var lines = ["architecture  \(c.kind.rawValue)",
                     "decoder       \(d.layerCount) layers, hidden \(d.hiddenSize), intermediate \(d.intermediateSize), heads \(d.headCount)/\(d.kvHeadCount) kv, head_dim \(d.headDim), vocab \(d.vocabSize)",
                     v.map { "vision        CLIP \($0.layerCount) layers (runs \($0.layersToRun)), hidden \($0.hiddenSize), patch \($0.patchSize), image \($0.imageSize)" }
                        ?? "vision        none (text-only)"]
        if let h = graph.head {
            lines.append("head          pooling \(h.pooling.rawValue), normalize \(h.normalize), padding \(h.paddingSide), marker \(h.imageMarker)\(h.bosPerChunk ? ", BOS per chunk" : "")")
        }
        if !merges.isEmpty {
            lines.append("adapter       \(merges.count) modules merged (\(merges.first?.dora == true ? "DoRA" : "LoRA"))")
        }
        let mergeByName = Dictionary(merges.map { ($0.canonical, $0) }, uniquingKeysWith: { a, _ in a })
        for p in ["vision", "projector", "image", "decoder", "lm_head"] {
            let names = graph.tensorNames.filter { Self.part($0) == p }
            if names.isEmpty { continue }
            lines.append("")
            lines.append("[\(p)] \(names.count) tensors")
            for n in names {
                guard let t = graph.tensors[n] else { continue }
                var line = "  \(n)  \(t.shape)  \(t.storageName)"
                if let m = mergeByName[n] { line += "  ← \(m.module) r=\(m.rank) s=\(m.scale)\(m.dora ? " DoRA" : "")" }
                lines.append(line)
            }
        }
        if !graph.ignoredSourceTensors.isEmpty { lines.append("\nignored: " + graph.ignoredSourceTensors.joined(separator: ", ")) }
        return lines.joined(separator: "\n")
    }
}
