import ArgumentParser
import TensorFormats

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe a checkpoint: format, architecture, parameter count, bytes by dtype, tensor table.",
        discussion: "PATH is a Hugging Face folder, a .safetensors file or index, a .gguf, or a PyTorch .bin/.pt. Only headers are read."
    )

    @Argument(help: "The checkpoint to describe.")
    var path: String

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() throws {
        try CLI.run {
            let source = try CheckpointOpener.open(path)
            let report = InspectReport(path: path, source: source)
            CLI.output(json ? report.json.serialized() : report.text)
        }
    }
}
