/// MMEB's four meta-tasks.
public enum MetaTask: String, Sendable, CaseIterable, Equatable {
    case classification
    case vqa
    case retrieval
    case grounding
}

/// Whether a dataset is one of the 20 MMEB-train sets (IND) or eval-only (OOD).
public enum DatasetSplit: String, Sendable, CaseIterable, Equatable {
    case ind = "IND"
    case ood = "OOD"
}

/// What the evaluator knows about one dataset: where it counts in the report, and (for the 36
/// MMEB datasets) its instructions and the published score.
public struct DatasetInfo: Sendable, Equatable {
    public var name: String
    public var metaTask: MetaTask
    public var split: DatasetSplit
    /// The query instruction as the MMEB data writes it (`<|image_1|>\n` prefix when the query has an image).
    public var queryInstruction: String
    /// What the candidates are (an instruction, or a description such as "class name").
    public var targetSide: String
    /// Published P@1 in percent of VLM2Vec LLaVA-1.6 LoRA at 1344² (paper Table 6), when known.
    public var publishedPrecisionAt1: Double?

    public init(name: String, metaTask: MetaTask, split: DatasetSplit, queryInstruction: String = "",
                targetSide: String = "", publishedPrecisionAt1: Double? = nil) {
        self.name = name
        self.metaTask = metaTask
        self.split = split
        self.queryInstruction = queryInstruction
        self.targetSide = targetSide
        self.publishedPrecisionAt1 = publishedPrecisionAt1
    }
}
