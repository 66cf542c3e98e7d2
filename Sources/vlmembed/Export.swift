import ArgumentParser
import TensorFormats

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write any readable checkpoint as one safetensors file (GGUF blocks dequantized).",
        discussion: "Names are kept, shapes are in PyTorch order. Written atomically: OUT appears only when complete."
    )

    @Argument(help: "The checkpoint to export.")
    var path: String

    @Option(help: "Output container; only 'safetensors'.")
    var format: String = "safetensors"

    @Option(help: "Convert floating-point tensors to f32, f16 or bf16 (default: keep; quantized tensors become f32).")
    var dtype: String?

    @Option(name: .shortAndLong, help: "Output file.")
    var output: String

    func run() throws {
        try CLI.run {
            guard format == "safetensors" else {
                throw ValidationError("unsupported --format '\(format)'; only 'safetensors'")
            }
            var target: DType?
            if let dtype {
                guard let t = DType(name: dtype), SafetensorsExporter.supportedDTypes.contains(t) else {
                    throw ValidationError("unsupported --dtype '\(dtype)'; choose f32, f16 or bf16")
                }
                target = t
            }
            let source = try CheckpointOpener.open(path)
            let progress = ProgressLine(label: "export")
            try SafetensorsExporter.export(source, to: output, dtype: target, progress: progress.update)
            CLI.logger.info("wrote \(output) (\(source.tensors.count) tensors)")
        }
    }
}
