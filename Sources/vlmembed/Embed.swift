import ArgumentParser
import Bundle
import Kernels
import Models
import Preprocessing
import TensorFormats

struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Embed text, images and text+image requests with a model (VLM2Vec: last token, L2-normalised).",
        discussion: """
        Requests are JSON lines: {"id": "q1", "text": "<|image_1|> Represent the given image.", "images": ["cat.jpg"]}. \
        OUT is .safetensors (tensor `embeddings` [N, H] float32, ids in the metadata) or .jsonl ({"id", "embedding"} rows), \
        in request order. Every request is embedded as if alone.
        """
    )

    @Option(help: "Model: a Hugging Face folder (config.json + safetensors), a GGUF (text; add --mmproj for images) or a .vlmb bundle.")
    var model: String

    @Option(help: "With a GGUF model: its LLaVA-1.6 clip mmproj GGUF (vision tower + projector), for images.")
    var mmproj: String?

    @Option(help: "A PEFT LoRA/DoRA adapter folder to merge at load (adapter_config.json + adapter_model.safetensors or .bin).")
    var adapter: String?

    @Option(help: "Requests, one JSON object per line.")
    var input: String

    @Option(name: .shortAndLong, help: "Output file (.safetensors or .jsonl).")
    var output: String

    @Option(help: "Write every intermediate tensor (names as in cases.json) to this safetensors file.")
    var trace: String?

    @Option(help: "Threads (default: all cores).")
    var threads: Int?

    @Option(help: "Phi-3-V HD crops per image (overrides preprocessor_config.json's num_crops; Phi-3.5-V suggests 16 for single images).")
    var crops: Int?

    @Flag(help: "Embed the other requests when one fails; failures are reported and the exit code is 2.")
    var keepGoing = false

    func run() throws {
        try CLI.run {
            guard output.hasSuffix(".safetensors") || output.hasSuffix(".jsonl") else {
                throw ValidationError("output must end in .safetensors or .jsonl")
            }
            if let crops, crops < 1 { throw ValidationError("--crops must be at least 1") }
            if let crops, crops > InputLimits.maxCrops { throw ValidationError("--crops must be at most \(InputLimits.maxCrops)") }
            CLI.applyThreads(threads)
            let requests = try EmbeddingRequest.readJSONLines(input)
            guard !requests.isEmpty else { throw FormatError(input, "no requests") }
            var pipeline = try EmbeddingPipeline(graph: try ModelSource.openEmbeddingGraph(model, adapter: adapter, mmproj: mmproj).0)
            pipeline.numCropsOverride = crops
            let progress = ProgressLine(label: "embed")
            var rows: [(String, [Float])] = []
            var traces: [(String, Trace)] = []
            var failures = 0
            for (i, request) in requests.enumerated() {
                let t = Trace(enabled: trace != nil)
                do {
                    rows.append((request.id, try pipeline.embed(request, trace: t)))
                    traces.append((request.id, t))
                } catch {
                    guard keepGoing else { throw error }
                    CLI.printError("\(error)")
                    failures += 1
                }
                progress.update(i + 1, requests.count)
            }
            // Every request failed: nothing to write (an empty output would look like success).
            guard !rows.isEmpty else { throw FormatError(input, "all \(requests.count) requests failed; no output written") }
            try EmbeddingOutput.write(rows, to: output)
            if let trace { try EmbeddingOutput.writeTrace(traces, to: trace) }
            CLI.logger.info("embedded \(rows.count) of \(requests.count) requests → \(output)")
            if failures > 0 { throw ExitCode(2) }
        }
    }
}
