import ArgumentParser
import Models
import Runtime
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

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Requests, one JSON object per line.")
    var input: String

    @Option(name: .shortAndLong, help: "Output file (.safetensors or .jsonl).")
    var output: String

    @Option(help: "Write every intermediate tensor (names as in cases.json) to this safetensors file.")
    var trace: String?

    @Flag(help: "Embed the other requests when one fails; failures are reported and the exit code is 2.")
    var keepGoing = false

    func run() throws {
        try CLI.run {
            guard EmbeddingFile.isSupported(output) else { throw ValidationError("output must end in .safetensors or .jsonl") }
            let requests = try RequestFile.read(input)
            guard !requests.isEmpty else { throw RuntimeError("\(input): no requests") }
            let engine = try modelOptions.open()
            let progress = ProgressLine(label: "embed")
            var rows: [Embedding] = []
            var traces: [(String, Trace)] = []
            var failures = 0
            for (i, request) in requests.enumerated() {
                let t = Trace(enabled: trace != nil)
                do {
                    rows.append(try engine.embed(EmbeddingInput(request), trace: t))
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
            try EmbeddingFile.write(rows, to: output)
            if let trace { try EmbeddingFile.writeTrace(traces, to: trace) }
            CLI.logger.info("embedded \(rows.count) of \(requests.count) requests → \(output)")
            if failures > 0 { throw ExitCode(2) }
        }
    }
}
