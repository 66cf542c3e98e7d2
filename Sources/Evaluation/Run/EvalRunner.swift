import Preprocessing
import TensorFormats

/// Progress of the embedding work: inputs embedded so far out of those not found in the cache.
public struct EvalProgress: Sendable {
    public var done: Int
    public var total: Int
}

/// The result of an eval run (whole, or one shard).
public struct EvalOutcome: Sendable {
    public var predictions: [DatasetPredictions]
    /// Rows that could not be read and inputs that could not be embedded (`--keep-going`).
    public var problems: [EvalProblem]
    /// Inputs found in the cache / embedded in this run, over both models.
    public var cacheHits: Int
    public var computed: Int
}

/// Runs MMEB-style retrieval for one model (and optionally a second one on the same rows):
/// embeds every distinct input once (through the on-disk cache when there is one), picks each
/// row's best candidate, and optionally writes the embeddings it used.
public final class EvalRunner {
    /// One model's side of the run.
    final class Side {
        let embedder: any RequestEmbedder
        let cache: EmbeddingCache?
        var memory: [InputKey: [Float]] = [:]
        var failed: [InputKey: String] = [:]
        var width: Int?
        init(embedder: any RequestEmbedder, cache: EmbeddingCache?) {
            self.embedder = embedder
            self.cache = cache
        }
        func stored(_ key: InputKey) -> [Float]? { memory[key] ?? cache?.lookup(key) }
        func has(_ key: InputKey) -> Bool { memory[key] != nil || cache?.contains(key) == true }
    }

    let sides: [Side]
    let imagesRoot: String
    let keepGoing: Bool
    let keyer = InputKeyer()

    /// `cacheRoot` nil keeps embeddings in memory for this run only.
    public init(model: any RequestEmbedder, compare: (any RequestEmbedder)? = nil, imagesRoot: String,
                cacheRoot: String?, keepGoing: Bool = false) throws {
        func side(_ e: any RequestEmbedder) throws -> Side {
            let cache = try cacheRoot.map { try EmbeddingCache(root: $0, identity: e.modelIdentity, about: "backbone \(e.backbone)") }
            return Side(embedder: e, cache: cache)
        }
        var sides = [try side(model)]
        if let compare { sides.append(try side(compare)) }
        self.sides = sides
        self.imagesRoot = imagesRoot
        self.keepGoing = keepGoing
    }

    /// One row's inputs as keys, per side.
    struct PreparedRow {
        var row: EvalRow
        var keys: [[InputKey]]  // [side][0 = query, 1... = candidates]
    }

    /// A dataset's rows for this run (this shard's), keyed, and the lines set aside.
    struct Plan {
        var dataset: EvalDataset
        var rows: [PreparedRow]
        var skipped: [Int]
    }

    /// Progress bookkeeping shared by the embedding loop.
    struct Counter {
        var done = 0
        var total = 0
        let report: (EvalProgress) -> Void
        mutating func step() {
            done += 1
            report(EvalProgress(done: done, total: max(total, done)))
        }
    }

    /// Evaluates `datasets` (only `shard`'s rows when given). With `dump`, the embeddings used are
    /// written there (safetensors). Without `keepGoing`, the first problem is thrown.
    public func run(_ datasets: [EvalDataset], shard: ShardSpec? = nil, dump: String? = nil,
                    progress: @escaping (EvalProgress) -> Void = { _ in }) throws -> EvalOutcome {
        var problems: [EvalProblem] = []
        let plans = try datasets.map { try plan($0, shard: shard, problems: &problems) }
        var hits = 0
        var counter = Counter(report: progress)
        for (s, side) in sides.enumerated() {
            var seen = Set<InputKey>()
            for plan in plans {
                for r in plan.rows {
                    for k in r.keys[s] where seen.insert(k).inserted {
                        if side.has(k) { hits += 1 } else { counter.total += 1 }
                    }
                }
            }
        }
        progress(EvalProgress(done: 0, total: counter.total))
        var predictions: [DatasetPredictions] = []
        var dumpWriter = dump.map { _ in EmbeddingDump(sides: sides.count) }
        var reported = Set<InputKey>()
        for plan in plans {
            let dataset = plan.dataset
            var skipped = plan.skipped
            var lines: [Int] = []
            var tops: [[Int]] = sides.map { _ in [] }
            for r in plan.rows {
                let vectors: [[[Float]]]
                switch try embeddings(for: r, in: dataset, counter: &counter) {
                case .success(let v):
                    vectors = v
                case .failure(let failure):
                    guard keepGoing else { throw failure.problem }
                    if reported.insert(failure.key).inserted { problems.append(failure.problem) }
                    skipped.append(r.row.line)
                    continue
                }
                lines.append(r.row.line)
                for s in sides.indices {
                    tops[s].append(TopCandidate.pick(query: vectors[s][0], candidates: Array(vectors[s].dropFirst())))
                }
                dumpWriter?.add(dataset: dataset.name, row: r.row, vectors: vectors)
            }
            predictions.append(DatasetPredictions(
                info: dataset.info, fileSHA256: dataset.fileSHA256,
                selectedRows: dataset.rows.count + dataset.problems.count,
                lines: lines, top: tops[0], compareTop: sides.count > 1 ? tops[1] : nil, skippedLines: skipped.sorted()))
        }
        for side in sides { side.cache?.synchronize() }
        if let dump, let dumpWriter {
            try dumpWriter.write(to: dump, models: sides.map { ModelDescriptor(backbone: $0.embedder.backbone, identity: $0.embedder.modelIdentity) })
        }
        return EvalOutcome(predictions: predictions, problems: problems, cacheHits: hits, computed: counter.done)
    }

    /// Picks this shard's rows (round-robin over the selected rows in file order, unreadable ones
    /// included) and keys their inputs; unreadable rows become problems (thrown without keepGoing).
    func plan(_ dataset: EvalDataset, shard: ShardSpec?, problems: inout [EvalProblem]) throws -> Plan {
        let selected = (dataset.rows.map(\.line) + dataset.problems.map(\.line)).sorted()
        let position = Dictionary(uniqueKeysWithValues: selected.enumerated().map { ($1, $0) })
        let ours = { (line: Int) in shard?.owns(position: position[line] ?? 0) ?? true }
        var skipped: [Int] = []
        for p in dataset.problems where ours(p.line) {
            guard keepGoing else { throw p }
            problems.append(p)
            skipped.append(p.line)
        }
        var prepared: [PreparedRow] = []
        for row in dataset.rows where ours(row.line) {
            do {
                prepared.append(PreparedRow(row: row, keys: try sides.map { try keys(for: row, side: $0) }))
            } catch {
                let p = EvalProblem(dataset: dataset.name, file: dataset.file, line: row.line, reason: "\(error)")
                guard keepGoing else { throw p }
                problems.append(p)
                skipped.append(row.line)
            }
        }
        return Plan(dataset: dataset, rows: prepared, skipped: skipped)
    }

    /// An input that could not be embedded, and the first row it failed in.
    struct InputFailure: Error {
        var key: InputKey
        var problem: EvalProblem
    }

    /// `[side][query, candidate 0, …]` for one row, from the cache or embedded now; or the first
    /// input that cannot be embedded (remembered, so later rows using it fail without retrying).
    func embeddings(for r: PreparedRow, in dataset: EvalDataset, counter: inout Counter) throws -> Result<[[[Float]]], InputFailure> {
        var all: [[[Float]]] = []
        for (s, side) in sides.enumerated() {
            var vectors: [[Float]] = []
            for (i, key) in r.keys[s].enumerated() {
                let role = i == 0 ? "query" : "candidate \(i - 1)"
                func failure(_ reason: String) -> Result<[[[Float]]], InputFailure> {
                    .failure(InputFailure(key: key, problem: EvalProblem(dataset: dataset.name, file: dataset.file, line: r.row.line, reason: "\(role): \(reason)")))
                }
                if let reason = side.failed[key] { return failure(reason) }
                if let v = side.stored(key) {
                    try checkWidth(v, side: side)
                    vectors.append(v)
                    continue
                }
                defer { counter.step() }
                let v: [Float]
                do {
                    v = try embed(i == 0 ? r.row.query : r.row.candidates[i - 1], side: side, id: "\(dataset.name):\(r.row.line) \(role)")
                } catch {
                    side.failed[key] = "cannot embed: \(error)"
                    return failure("cannot embed: \(error)")
                }
                try checkWidth(v, side: side)
                try store(v, key: key, side: side)
                vectors.append(v)
            }
            all.append(vectors)
        }
        return .success(all)
    }

    /// The request a model sees for an input: the MMEB text with the backbone's marker, and the image.
    func request(_ input: EvalInput, marker: String, id: String) -> EmbeddingRequest {
        EmbeddingRequest(id: id, text: ImageMarker.apply(input.text, marker: marker),
                         images: input.hasImage ? [EvalDataset.resolve(input.imagePath, root: imagesRoot)] : [])
    }

    func keys(for row: EvalRow, side: Side) throws -> [InputKey] {
        try ([row.query] + row.candidates).map { input in
            let text = ImageMarker.apply(input.text, marker: side.embedder.imageMarker)
            return try keyer.key(text: text, imageFile: input.hasImage ? EvalDataset.resolve(input.imagePath, root: imagesRoot) : nil)
        }
    }

    func embed(_ input: EvalInput, side: Side, id: String) throws -> [Float] {
        try side.embedder.embed(request(input, marker: side.embedder.imageMarker, id: id))
    }

    /// All of a model's embeddings must have one width (a mismatch means a damaged cache).
    func checkWidth(_ v: [Float], side: Side) throws {
        if let w = side.width, w != v.count {
            throw FormatError(side.cache?.folder ?? "eval", "embedding width changed from \(w) to \(v.count)")
        }
        side.width = v.count
    }

    func store(_ v: [Float], key: InputKey, side: Side) throws {
        if let cache = side.cache { try cache.store(key, v) } else { side.memory[key] = v }
    }
}
