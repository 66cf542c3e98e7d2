import Kernels
import ModelGraph
import Preprocessing

/// Everything between a request and its embedding: tokenizer, image processor and prompt assembly
/// for the graph's architecture, then the forward pass and pooling.
public struct EmbeddingPipeline: Sendable {
    public let graph: ModelGraph
    public let model: any EmbeddingModel
    public let tokenizer: Tokenizer
    /// Refuse images above this many pixels before decoding them.
    public var maxImagePixels: Int = ImageDecoder.defaultMaxPixels
    /// Phi-3-V HD crops, overriding `preprocessor_config.json`'s `num_crops`.
    public var numCropsOverride: Int?
    /// Resize every decoded image to exactly this size before the processor (Pillow bicubic, the
    /// `Image.resize` default), as VLM2Vec's eval does for non-Phi backbones (`image_resolution`).
    public var imageResize: (width: Int, height: Int)?

    public init(graph: ModelGraph, tokenizer: Tokenizer) throws {
        self.graph = graph
        self.tokenizer = tokenizer
        model = try EmbeddingModels.make(graph)
    }

    /// A pipeline over an embedding graph (from a folder or a bundle), its tokenizer built from the
    /// graph's own files.
    public init(graph: ModelGraph) throws {
        try self.init(graph: graph, tokenizer: try Tokenizer.load(origin: graph.files.origin, file: graph.files.bytes))
    }

    /// Loads a Hugging Face model folder (config, weights by mmap, tokenizer), merging a PEFT adapter folder if given.
    public static func load(directory: String, adapter: String? = nil) throws -> EmbeddingPipeline {
        let (graph, _) = try ModelGraph.loadEmbeddingGraph(directory: directory, adapter: adapter)
        return try EmbeddingPipeline(graph: graph, tokenizer: try Tokenizer.load(modelDirectory: directory))
    }

    /// Tokens and pixels for one request. Errors name the request.
    public func prepare(_ request: EmbeddingRequest) throws -> PreparedInput {
        try preprocess(request).input
    }

    /// What the upstream processor returns for one request, shaped as upstream shapes it:
    /// `pixel_values` `[1, slots, 3, S, S]` (Phi-3-V pads with zero crops to num_crops + 1) and
    /// `image_sizes` (Phi-3-V: HD size; LLaVA-NeXT: original size).
    public struct ProcessorOutput: Sendable {
        public var input: PreparedInput
        public var imageSizes: [[Int]]
        public var pixelSlots: Int

        /// `pixel_values` with zero crops up to `pixelSlots` per image, and its shape.
        public var paddedPixelValues: (values: [Float], shape: [Int]) {
            guard let first = input.images.first else { return ([], [0]) }
            let perCrop = first.pixels.count / max(first.crops, 1)
            let side = Int((Double(perCrop / 3)).squareRoot())
            var values: [Float] = []
            for image in input.images {
                values += image.pixels
                values += [Float](repeating: 0, count: (pixelSlots - image.crops) * perCrop)
            }
            return (values, [input.images.count, pixelSlots, 3, side, side])
        }
    }

    /// Runs image decoding, tokenizer, image processor and prompt assembly; errors name the request.
    public func preprocess(_ request: EmbeddingRequest) throws -> ProcessorOutput {
        let images: [RGBImage]
        do {
            images = try request.images.map { path in
                let image = try ImageDecoder.decode(contentsOf: path, maxPixels: maxImagePixels)
                guard let size = imageResize else { return image }
                return PillowResampler.resize(image, width: size.width, height: size.height, filter: .bicubic)
            }
        } catch let e as PreprocessingError {
            throw ModelError("request '\(request.id)': \(e.message)")
        } catch {
            throw ModelError("request '\(request.id)': \(error)")
        }
        return try preprocess(id: request.id, text: request.text, images: images)
    }

    /// Tokenizer, image processor and prompt assembly over images already decoded; errors name `id`.
    public func preprocess(id: String, text: String, images: [RGBImage]) throws -> ProcessorOutput {
        let request = (id: id, text: text)
        do {
            switch graph.config.image {
            case nil:
                guard images.isEmpty else {
                    throw ModelError(TextDecoderModel.imageRefusal(kind: graph.config.kind, images: images.count))
                }
                return ProcessorOutput(input: PreparedInput(inputIds: tokenizer.encode(request.text, addSpecialTokens: true)), imageSizes: [], pixelSlots: 0)
            case .phi3V(let c):
                let numCrops = numCropsOverride ?? c.numCrops
                let processor = Phi3VImageProcessor(numCrops: numCrops, mean: c.imageMean, std: c.imageStd)
                let outs = try images.map { try processor.process($0) }
                let ids = try PromptAssembler.phi3V(request.text, tokenCounts: outs.map { $0.tokenCount }, tokenizer: tokenizer)
                let input = PreparedInput(inputIds: ids, images: outs.map {
                    PreparedImage(pixels: $0.pixels, crops: $0.crops, layout: .phi3HD(rows: $0.geometry.cropRows, columns: $0.geometry.cropColumns))
                })
                return ProcessorOutput(input: input, imageSizes: outs.map { [$0.imageSize.height, $0.imageSize.width] }, pixelSlots: numCrops + 1)
            case .llavaNext(let c):
                let processor = LlavaNextImageProcessor(pinpoints: c.pinpoints.map { ($0.height, $0.width) }, mean: c.imageMean, std: c.imageStd)
                let outs = try images.map { try processor.process($0) }
                let ids = try PromptAssembler.llavaNext(request.text, tokenCounts: outs.map { $0.tokenCount }, tokenizer: tokenizer)
                let input = PreparedInput(inputIds: ids, images: outs.map {
                    PreparedImage(pixels: $0.pixels, crops: $0.patches, layout: .llavaAnyres(
                        rows: $0.geometry.tileRows, columns: $0.geometry.tileColumns,
                        originalHeight: $0.geometry.originalHeight, originalWidth: $0.geometry.originalWidth))
                })
                return ProcessorOutput(input: input, imageSizes: outs.map { [$0.imageSize.height, $0.imageSize.width] },
                                       pixelSlots: outs.map { $0.patches }.max() ?? 0)
            }
        } catch let e as PreprocessingError {
            throw ModelError("request '\(request.id)': \(e.message)")
        } catch let e as ModelError {
            throw ModelError("request '\(request.id)': \(e.message)")
        } catch {
            throw ModelError("request '\(request.id)': \(error)")
        }
    }

    /// The L2-normalised embedding of one request.
    public func embed(_ request: EmbeddingRequest, trace: Trace = .disabled) throws -> [Float] {
        try embed(id: request.id, input: try prepare(request), trace: trace)
    }

    /// The embedding of a prompt over images already decoded (e.g. generated probes).
    public func embed(id: String, text: String, images: [RGBImage], trace: Trace = .disabled) throws -> [Float] {
        try embed(id: id, input: try preprocess(id: id, text: text, images: images).input, trace: trace)
    }

    /// The embedding of a prepared input (`preprocess`); errors name `id`.
    public func embed(id: String, input: PreparedInput, trace: Trace = .disabled) throws -> [Float] {
        do { return try model.embed(input, trace: trace) } catch let e as ModelError {
            throw ModelError("request '\(id)': \(e.message)")
        }
    }
}
