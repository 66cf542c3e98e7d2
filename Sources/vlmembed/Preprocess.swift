import ArgumentParser
import Bundle
import Models
import Preprocessing
import TensorFormats

struct Preprocess: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a model's processor on one image (+ prompt) and write what upstream's processor returns.",
        discussion: "Writes input_ids, attention_mask, pixel_values and image_sizes (int64 / float32) to a safetensors file."
    )

    @Option(help: "Model folder.")
    var model: String

    @Option(help: "Image file (PNG or JPEG).")
    var image: String

    @Option(help: "Prompt (default: the backbone's '<image marker> Represent the given image.').")
    var text: String?

    @Option(help: "With a GGUF model: its clip mmproj GGUF.")
    var mmproj: String?

    @Option(help: "Phi-3-V HD crops (overrides preprocessor_config.json).")
    var crops: Int?

    @Option(name: .shortAndLong, help: "Output .safetensors file.")
    var output: String

    func run() throws {
        try CLI.run {
            if let crops, crops < 1 { throw ValidationError("--crops must be at least 1") }
            var pipeline = try EmbeddingPipeline(graph: try ModelSource.openEmbeddingGraph(model, mmproj: mmproj).0)
            guard !pipeline.graph.config.kind.isTextOnly else {
                throw FormatError(model, "\(pipeline.graph.config.kind.rawValue) is a text-only model: nothing to preprocess an image for (a GGUF needs --mmproj)")
            }
            pipeline.numCropsOverride = crops
            let marker = pipeline.graph.config.kind == .phi3V ? "<|image_1|>" : "<image>"
            let request = EmbeddingRequest(id: image, text: text ?? marker + " Represent the given image.", images: [image])
            let out = try pipeline.preprocess(request)
            let ids = out.input.inputIds
            let (pixels, shape) = out.paddedPixelValues
            func i64(_ v: [Int]) -> [UInt8] { v.flatMap { withUnsafeBytes(of: Int64($0).littleEndian, Array.init) } }
            try SafetensorsWriter.write(to: output, tensors: [
                (TensorDescriptor(name: "input_ids", shape: [1, ids.count], encoding: .dense(.i64)), i64(ids)),
                (TensorDescriptor(name: "attention_mask", shape: [1, ids.count], encoding: .dense(.i64)), i64(ids.map { _ in 1 })),
                (TensorDescriptor(name: "pixel_values", shape: shape, encoding: .dense(.f32)), DenseCodec.encode(pixels, as: .f32)),
                (TensorDescriptor(name: "image_sizes", shape: [out.imageSizes.count, 2], encoding: .dense(.i64)), i64(out.imageSizes.flatMap { $0 })),
            ])
            CLI.logger.info("wrote \(output): \(ids.count) tokens, pixel_values \(shape)")
        }
    }
}
