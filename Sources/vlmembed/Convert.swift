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

    @Option(name: .shortAndLong, help: "Output bundle (.vlmb).")
    var output: String

    @Option(help: "Threads (default: all cores).")
    var threads: Int?

    func run() throws {
        try CLI.run {
            CLI.applyThreads(threads)
            let plan = try QuantizationPlan(decoder: scheme(quant), vision: scheme(visionQuant), int4Inputs: inputs())
            let (graph, merges) = try ModelSource.openEmbeddingGraph(source, adapter: adapter, mmproj: mmproj)
            var writer = BundleWriter(plan: plan, adapterPath: adapter, mergedModules: merges.count)
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
