import ArgumentParser
import Evaluation
import Foundation
import Kernels
import TensorFormats

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score retrieval the MMEB way: Precision@1 of the ground-truth candidate, per dataset, meta-task, IND/OOD and overall.",
        discussion: """
        DATA holds NAME.jsonl per dataset (MMEB-eval rows: qry_text, qry_img_path, tgt_text[], tgt_img_path[]; candidate 0 is \
        the ground truth) and the images under DATA/images (or --images). Datasets other than MMEB's 36 are described in \
        DATA/datasets.json. Embeddings are cached per model under --cache (default $VLMEMBED_CACHE/eval or \
        ~/.cache/vlmembed/eval), so a rerun or a killed run only embeds what is missing.
        Distributed: run with --shard i/n -o DIR on n machines, then `vlmembed eval --merge DIR`.
        """
    )

    @Option(help: "Model: a Hugging Face folder (config.json + safetensors).")
    var model: String?

    @Option(help: "A PEFT LoRA/DoRA adapter folder merged into --model at load.")
    var adapter: String?

    @Option(help: "With a GGUF --model: its clip mmproj GGUF (needed for image rows).")
    var mmproj: String?

    @Option(help: "The data folder (NAME.jsonl per dataset).")
    var data: String?

    @Option(help: "The images root the rows' image paths are relative to (default DATA/images).")
    var images: String?

    @Option(help: "Comma-separated dataset names (default: every NAME.jsonl in DATA).")
    var datasets: String?

    @Option(help: "Evaluate only the first N rows of each dataset.")
    var limit: Int?

    @Option(help: "A second model to compare with, on the same rows.")
    var compare: String?

    @Option(name: .customLong("compare-adapter"), help: "A PEFT adapter folder merged into --compare.")
    var compareAdapter: String?

    @Flag(help: "Print the report as one JSON object.")
    var json = false

    @Option(name: .customLong("dump-embeddings"), help: "Write the query and candidate embeddings used to this .safetensors file.")
    var dumpEmbeddings: String?

    @Option(help: "Evaluate slice i of n (i/n, 0-based) and write a partial result to -o.")
    var shard: String?

    @Option(name: .shortAndLong, help: "With --shard: the partial result file, or a folder to write eval-shard-i-of-n.json into.")
    var output: String?

    @Option(parsing: .upToNextOption, help: "Combine the partial results of every shard (files, or folders of eval-shard-*.json) into the report.")
    var merge: [String] = []

    @Option(help: "The embedding cache folder.")
    var cache: String?

    @Flag(name: .customLong("no-cache"), help: "Neither read nor write the embedding cache.")
    var noCache = false

    @Option(help: "Phi-3-V HD crops (default: the model's num_crops).")
    var crops: Int?

    @Option(name: .customLong("image-resolution"), help: "Resize images before the processor, as VLM2Vec's eval does for non-Phi backbones: high (1344²), low (336²) or original. Default: high for llava_next, original for phi3_v.")
    var imageResolution: String?

    @Option(help: "Threads (default: all cores).")
    var threads: Int?

    @Flag(help: "Skip rows that cannot be read or embedded; they are reported (one line each) and counted, and the exit code is 2.")
    var keepGoing = false

    func run() throws {
        try CLI.run {
            if !merge.isEmpty { return try runMerge() }
            guard let model, let data else { throw ValidationError("--model and --data are required (or --merge)") }
            CLI.applyThreads(threads)
            var options = EmbedderOptions(numCrops: crops)
            if let imageResolution {
                guard let r = ImageResolution(rawValue: imageResolution) else {
                    throw ValidationError("--image-resolution must be high, low or original")
                }
                options.imageResolution = r
            }
            let shardSpec = try shard.map { try ShardSpec(parsing: $0) }
            if shardSpec != nil, output == nil { throw ValidationError("--shard needs -o (a file or folder for the partial result)") }
            let folder = try EvalDataFolder(directory: data, imagesRoot: images)
            let names = datasets.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
            let sets = try folder.read(names, limit: limit)
            let embedder = try openEmbedder(path: model, adapter: adapter, mmproj: mmproj, options: options)
            let compared = try compare.map { try openEmbedder(path: $0, adapter: compareAdapter, options: options) }
            let runner = try EvalRunner(model: embedder, compare: compared, imagesRoot: folder.imagesRoot,
                                        cacheRoot: noCache ? nil : cacheRoot, keepGoing: keepGoing)
            let bar = ProgressBar(label: "eval")
            let outcome = try runner.run(sets, shard: shardSpec, dump: dumpEmbeddings) { bar.update($0.done, $0.total) }
            for p in outcome.problems { CLI.printError("\(p)") }
            CLI.logger.info("cache: \(outcome.cacheHits) cached, \(outcome.computed) computed\(noCache ? " (no cache)" : " (\(cacheRoot))")")
            let a = ModelDescriptor(backbone: embedder.backbone, identity: embedder.modelIdentity)
            let b = compared.map { ModelDescriptor(backbone: $0.backbone, identity: $0.modelIdentity) }
            if let shardSpec, let output {
                let path = FileSystem.isDirectory(output) ? output + "/" + PartialResult.fileName(for: shardSpec) : output
                try PartialResult(shard: shardSpec, model: a, compareModel: b, limit: limit, datasets: outcome.predictions).write(to: path)
                let queries = outcome.predictions.map(\.queries).reduce(0, +)
                CLI.logger.info("shard \(shardSpec): \(queries) queries in \(outcome.predictions.count) datasets → \(path)")
            } else {
                print(EvalReport(predictions: outcome.predictions, model: a, compare: b))
            }
            if !outcome.problems.isEmpty { throw ExitCode(2) }
        }
    }

    func runMerge() throws {
        guard model == nil, data == nil, shard == nil else { throw ValidationError("--merge takes only partial results (and --json)") }
        let files = try PartialResult.files(in: merge)
        let merged = try PartialResult.merge(try files.map { ($0, try PartialResult.read($0)) })
        print(EvalReport(predictions: merged.predictions, model: merged.model, compare: merged.compare))
    }

    func print(_ report: EvalReport) {
        CLI.output(json ? report.json().serialized() : report.table())
    }

    var cacheRoot: String {
        if let cache { return cache }
        if let root = ProcessInfo.processInfo.environment["VLMEMBED_CACHE"], !root.isEmpty { return root + "/eval" }
        return NSHomeDirectory() + "/.cache/vlmembed/eval"
    }
}
