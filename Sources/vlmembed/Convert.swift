import ArgumentParser
import Foundation
import Bundle
import Runtime
import Kernels
import ModelGraph
import Preprocessing
import TensorFormats

struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Merge an adapter, attach the embedding head, quantize and write one .vlmb bundle.",
        discussion: """
        Decoder-layer linears take --quant; CLIP encoder and projector linears take --vision-quant; everything else keeps its \
        source dtype (Formats/vlmb.md). The source is read by mmap and written one tensor at a time; the output appears only \
        when complete. Example: vlmembed convert Fixtures/models/phi3_v --adapter Fixtures/adapters/reference/phi3_v_adapter --quant int4 --group-size 64 -o phi3v-int4.vlmb
        """
    )

    @Argument(help: "Source: a Hugging Face model folder.")
    var source: String

    @Option(help: "A PEFT LoRA/DoRA adapter folder to merge (in fp32, before quantizing).")
    var adapter: String?

    @Option(help: "With a GGUF model: its LLaVA-1.6 clip mmproj GGUF (vision tower + projector), for images.")
    var mmproj: String?

    @Option(help: "Decoder scheme: int8, int4, f16, bf16 or f32.")
    var quant: String

    @Option(help: "int4 group size: 32, 64 or 128.")
    var groupSize: Int = 64

    @Flag(help: "int4 with a zero point per group (asymmetric).")
    var asym = false

    @Option(help: "Vision tower and projector scheme (default int8; int4 uses --group-size/--asym too).")
    var visionQuant: String = "int8"

    @Option(help: ArgumentHelp("How int4 weights meet their inputs at run time: int16 (default; every kernel path agrees to 0.9999999) or int8 (llama.cpp's Q4_0 × Q8_0 arithmetic: ~1.6× faster on avx2, at the inputs' 8-bit rounding). Recorded in the bundle; VLMEMBED_INT4_INPUTS overrides it.",
                               valueName: "int16|int8"))
    var int4Inputs: String = "int16"

    @Option(help: ArgumentHelp("How int4 groups choose their scales: rtn (round to nearest on the group's range, 15 levels; the default), search (all 16 levels, the scale searched by weighted least squares on w²; no data, a few times rtn's time), importance (search weighted by the calibration's mean x² per input column) or gptq (GPTQ's error feedback through the calibration's E[xᵀx], groups searched as importance; small models: the matrices must fit 4 GiB). Same storage and speed for all; recorded in the bundle (Formats/vlmb.md §3).",
                               valueName: "rtn|search|importance|gptq"))
    var method: String = "rtn"

    @Option(help: "With --method importance: calibration requests (JSON lines, the embed request format: texts, images, text+image), run through the fp32 model to weigh each input column. Default: the repository's Fixtures/calibration/requests.jsonl (or $VLMEMBED_CALIBRATION).")
    var calibration: String?

    @Option(help: "With --method importance: read the importance from this file (written by --save-importance) instead of calibrating.")
    var importance: String?

    @Option(help: "With --method importance: also write the calibration's importance to this safetensors file, to reuse with --importance.")
    var saveImportance: String?

    @Option(name: .shortAndLong, help: "Output bundle (.vlmb).")
    var output: String

    @Option(help: "Threads (default: all cores).")
    var threads: Int?

    func run() throws {
        try CLI.run {
            CLI.applyThreads(threads)
            let plan = try QuantizationPlan(decoder: scheme(quant), vision: scheme(visionQuant), int4Inputs: inputs(), int4Method: int4Method())
            let statistics = try columnImportance(plan)
            let (graph, merges) = try ModelSource.openEmbeddingGraph(source, adapter: adapter, mmproj: mmproj)
            var writer = BundleWriter(plan: plan, adapterPath: adapter, mergedModules: merges.count)
            if let statistics {
                writer.importance = { statistics.importance($0) }
                writer.secondMoments = { statistics.secondMoments($0) }
            }
            writer.validateFiles = { files in _ = try Tokenizer.load(origin: files.origin, file: files.bytes) }
            let bar = ProgressBar(label: "convert", bytes: true)
            let started = Date()
            try writer.write(graph, to: output) { p in bar.update(p.bytesDone, p.bytesTotal, detail: p.currentTensor) }
            CLI.logger.info("wrote \(output): decoder \(plan.decoder.name), vision \(plan.vision.name), \(merges.count) adapter modules merged, \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        }
    }

    private func inputs() throws -> Int4Inputs {
        guard let inputs = Int4Inputs(rawValue: int4Inputs) else {
            throw ValidationError("--int4-inputs must be int16 or int8 (got '\(int4Inputs)')")
        }
        if inputs == .int8, quant != "int4", visionQuant != "int4" {
            throw ValidationError("--int4-inputs int8 needs an int4 scheme (--quant int4 or --vision-quant int4)")
        }
        return inputs
    }

    /// The calibration statistics `--method importance` weighs with: read from --importance, or
    /// measured on the calibration set (and saved with --save-importance); nil for other methods.
    private func columnImportance(_ plan: QuantizationPlan) throws -> CalibrationStatistics? {
        guard plan.int4Method.needsCalibration else {
            if calibration != nil || importance != nil || saveImportance != nil {
                throw ValidationError("--calibration, --importance and --save-importance go with --method importance or gptq")
            }
            return nil
        }
        if let importance {
            guard plan.int4Method == .importance else { throw ValidationError("--method gptq needs --calibration: an importance file holds no second moments") }
            guard calibration == nil else { throw ValidationError("give --importance or --calibration, not both") }
            return try ImportanceCalibration.load(importance)
        }
        guard let set = calibration ?? ImportanceCalibration.defaultRequestsPath(executable: CommandLine.arguments[0],
                                                                                 environment: ProcessInfo.processInfo.environment) else {
            throw RuntimeError("--method \(plan.int4Method.rawValue) needs calibration requests: --calibration F, --importance F, or the default set \(ImportanceCalibration.defaultSet) (run from the repository, or set VLMEMBED_CALIBRATION)")
        }
        let requests = try RequestFile.read(set)
        let bar = ProgressBar(label: "calibrate", bytes: false)
        let started = Date()
        var skipped = 0
        let statistics = try ImportanceCalibration.run(ModelSpec(path: source, adapter: adapter, mmproj: mmproj), requests: requests, file: set,
                                                       secondMoments: plan.int4Method == .gptq, skipped: &skipped) { done, total in
            bar.update(done, total, detail: "")
        }
        CLI.logger.info("calibrated on \(requests.count - skipped) requests of \(set)\(skipped > 0 ? " (\(skipped) with images skipped: text-only model)" : ""): \(statistics.names.count) linears, \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        if let saveImportance { try ImportanceCalibration.save(statistics, to: saveImportance) }
        return statistics
    }

    private func int4Method() throws -> Int4Method {
        guard let m = Int4Method(rawValue: method) else {
            throw ValidationError("--method must be one of \(Int4Method.allCases.map(\.rawValue).joined(separator: ", ")) (got '\(method)')")
        }
        if m != .roundToNearest, quant != "int4", visionQuant != "int4" {
            throw ValidationError("--method \(method) chooses int4 scales: it needs --quant int4 or --vision-quant int4")
        }
        return m
    }

    private func scheme(_ name: String) throws -> QuantScheme {
        switch name {
        case "int4":
            guard [32, 64, 128].contains(groupSize) else { throw ValidationError("--group-size must be 32, 64 or 128 (got \(groupSize))") }
            return .int4(group: groupSize, asymmetric: asym)
        case "int8": return .int8
        case "f16": return .f16
        case "bf16": return .bf16
        case "f32": return .f32
        default: throw ValidationError("unknown scheme '\(name)' (int8, int4, f16, bf16, f32)")
        }
    }
}
