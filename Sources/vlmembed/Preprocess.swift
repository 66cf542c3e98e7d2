import ArgumentParser
import Runtime

struct Preprocess: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a model's processor on one image (+ prompt) and write what upstream's processor returns.",
        discussion: "Writes input_ids, attention_mask, pixel_values and image_sizes (int64 / float32) to a safetensors file."
    )

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Image file (PNG or JPEG).")
    var image: String

    @Option(help: "Prompt (default: the backbone's '<image marker> Represent the given image.').")
    var text: String?

    @Option(name: .shortAndLong, help: "Output .safetensors file.")
    var output: String

    func run() throws {
        try CLI.run {
            let out = try modelOptions.open().processorOutput(image: .file(image), text: text)
            try ProcessorOutputFile.write(out, to: output)
            CLI.logger.info("wrote \(output): \(out.input.inputIds.count) tokens, pixel_values \(out.paddedPixelValues.shape)")
        }
    }
}
