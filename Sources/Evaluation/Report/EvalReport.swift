import TensorFormats

/// Which model a report is about.
public struct ModelDescriptor: Sendable, Equatable {
    public var backbone: String
    public var identity: String

    public init(backbone: String, identity: String) {
        self.backbone = backbone
        self.identity = identity
    }
}

/// Precision@1 per dataset, per meta-task, per split (IND/OOD) and overall — averages over datasets,
/// as the paper reports them — for one model, and side by side with a compared model (its scores,
/// the deltas and the fraction of queries whose top-1 choice changed).
public struct EvalReport: Sendable {
    public struct DatasetScore: Sendable, Equatable {
        public var info: DatasetInfo
        public var queries: Int
        public var skipped: Int
        /// nil when no row could be evaluated.
        public var precision: Double?
        public var comparePrecision: Double?
        public var changed: Int?
        public var changedFraction: Double? {
            guard let changed, queries > 0 else { return nil }
            return Double(changed) / Double(queries)
        }
    }

    /// A mean over datasets.
    public struct Aggregate: Sendable, Equatable {
        public var datasets: Int
        public var precision: Double
        public var comparePrecision: Double?
    }

    public var model: ModelDescriptor
    public var compareModel: ModelDescriptor?
    public var datasets: [DatasetScore]
    public var metaTasks: [(MetaTask, Aggregate)]
    public var splits: [(DatasetSplit, Aggregate)]
    public var overall: Aggregate?
    /// Queries whose top-1 choice changed, over all datasets (when comparing).
    public var changedQueries: Int?
    public var totalQueries: Int

    public init(predictions: [DatasetPredictions], model: ModelDescriptor, compare: ModelDescriptor? = nil) {
        self.model = model
        compareModel = compare
        datasets = predictions.map { p in
            DatasetScore(
                info: p.info, queries: p.queries, skipped: p.skippedLines.count,
                precision: p.queries > 0 ? Double(p.hits) / Double(p.queries) : nil,
                comparePrecision: p.compareHits.flatMap { p.queries > 0 ? Double($0) / Double(p.queries) : nil },
                changed: p.changedTop)
        }
        let scored = datasets.filter { $0.precision != nil }
        func aggregate(_ group: [DatasetScore]) -> Aggregate? {
            guard !group.isEmpty else { return nil }
            let precision = group.map { $0.precision ?? 0 }.reduce(0, +) / Double(group.count)
            let compared = group.compactMap(\.comparePrecision)
            let comparePrecision = compared.count == group.count ? compared.reduce(0, +) / Double(group.count) : nil
            return Aggregate(datasets: group.count, precision: precision, comparePrecision: comparePrecision)
        }
        metaTasks = MetaTask.allCases.compactMap { t in aggregate(scored.filter { $0.info.metaTask == t }).map { (t, $0) } }
        splits = DatasetSplit.allCases.compactMap { s in aggregate(scored.filter { $0.info.split == s }).map { (s, $0) } }
        overall = aggregate(scored)
        totalQueries = datasets.map(\.queries).reduce(0, +)
        changedQueries = compare == nil ? nil : datasets.map { $0.changed ?? 0 }.reduce(0, +)
    }

    /// Fraction of all evaluated queries whose top-1 choice changed (when comparing).
    public var changedFraction: Double? {
        guard let changedQueries, totalQueries > 0 else { return nil }
        return Double(changedQueries) / Double(totalQueries)
    }

    // MARK: JSON

    /// `{"model", "datasets", "meta_tasks", "splits", "overall"[, "compare"]}`; precisions are
    /// fractions in 0…1, `null` when nothing could be evaluated.
    public func json() -> JSONValue {
        var top: [(String, JSONValue)] = [("model", Self.json(model))]
        top += sideJSON(compare: false)
        if let compareModel {
            var side: [(String, JSONValue)] = [("model", Self.json(compareModel))]
            side += sideJSON(compare: true)
            side.append(("delta", Self.number(delta(overall))))
            side.append(("changed_top1", Self.number(changedFraction)))
            top.append(("compare", .object(side)))
        }
        return .object(top)
    }

    private func sideJSON(compare: Bool) -> [(String, JSONValue)] {
        let perDataset: [(String, JSONValue)] = datasets.map { d in
            var fields: [(String, JSONValue)] = [
                ("precision_at_1", Self.number(compare ? d.comparePrecision : d.precision)),
                ("queries", .int(d.queries)),
                ("skipped", .int(d.skipped)),
                ("meta_task", .string(d.info.metaTask.rawValue)),
                ("split", .string(d.info.split.rawValue)),
            ]
            if compare {
                fields.append(("delta", Self.number(d.comparePrecision.flatMap { c in d.precision.map { c - $0 } })))
                fields.append(("changed_top1", Self.number(d.changedFraction)))
            }
            return (d.info.name, .object(fields))
        }
        func aggregateJSON(_ a: Aggregate) -> JSONValue {
            var fields: [(String, JSONValue)] = [("precision_at_1", Self.number(compare ? a.comparePrecision : a.precision)), ("datasets", .int(a.datasets))]
            if compare { fields.append(("delta", Self.number(delta(a)))) }
            return .object(fields)
        }
        return [
            ("datasets", .object(perDataset)),
            ("meta_tasks", .object(metaTasks.map { ($0.0.rawValue, aggregateJSON($0.1)) })),
            ("splits", .object(splits.map { ($0.0.rawValue, aggregateJSON($0.1)) })),
            ("overall", Self.number(compare ? overall?.comparePrecision : overall?.precision)),
        ]
    }

    private func delta(_ a: Aggregate?) -> Double? {
        guard let a, let c = a.comparePrecision else { return nil }
        return c - a.precision
    }

    static func number(_ x: Double?) -> JSONValue { x.map { .double($0) } ?? .null }

    static func json(_ m: ModelDescriptor) -> JSONValue {
        .object([("backbone", .string(m.backbone)), ("identity", .string(m.identity))])
    }
}
