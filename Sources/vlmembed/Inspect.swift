import ArgumentParser
import Bundle
import Runtime
import ModelGraph
import TensorFormats

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe a checkpoint: format, architecture, parameter count, bytes by dtype, tensor table.",
        discussion: "PATH is a Hugging Face folder, a .safetensors file or index, a .gguf, a PyTorch .bin/.pt, or a .vlmb bundle. Only headers are read."
    )

    @Argument(help: "The checkpoint to describe.")
    var path: String

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Flag(help: "Print the canonical model graph (parts, layers, shapes, head) instead of the file's tensors.")
    var graph = false

    @Option(help: "With --graph: a PEFT adapter folder to merge; shows which modules it touches, with rank and scale.")
    var adapter: String?

    @Option(help: "With --graph and a GGUF: its clip mmproj GGUF.")
    var mmproj: String?

    func run() throws {
        try CLI.run {
            if ModelSource.isBundle(path) && !graph {
                let report = BundleReport(bundle: try BundleFile(path: path))
                CLI.output(json ? report.json.serialized() : report.text)
                return
            }
            if graph || adapter != nil || mmproj != nil {
                let (g, merges) = try ModelSource.openEmbeddingGraph(path, adapter: adapter, mmproj: mmproj)
                let report = GraphReport(graph: g, merges: merges)
                CLI.output(json ? report.json.serialized() : report.text)
                return
            }
            let source = try CheckpointOpener.open(path)
            let report = InspectReport(path: path, source: source)
            CLI.output(json ? report.json.serialized() : report.text)
        }
    }
}
