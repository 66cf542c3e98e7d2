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

    public init(graph: ModelGraph, tokenizer: Tokenizer) throws {
        self.graph = graph
        self.tokenizer = tokenizer
        model = try EmbeddingModels.make(graph)
    }

    /// Loads a Hugging Face model folder (config, weights by mmap, tokenizer).
    public static func load(directory: String) throws -> EmbeddingPipeline {
        let graph = try ModelGraph.load(directory: directory)
        return try EmbeddingPipeline(graph: graph, tokenizer: try Tokenizer.load(modelDirectory: directory))
    }

    /// Tokens and pixels for one request. Errors name the request.
    public func prepare(_ request: EmbeddingRequest) throws -> PreparedInput {
        do {
            let images = try request.images.map { path in try ImageDecoder.decode(contentsOf: path, maxPixels: maxImagePixels) }
            switch graph.config.image {
            case .phi3V(let c):
                let processor = Phi3VImageProcessor(numCrops: c.numCrops, mean: c.imageMean, std: c.imageStd)
                let outs = try images.map { try processor.process($0) }
                let ids = try PromptAssembler.phi3V(request.text, tokenCounts: outs.map { $0.tokenCount }, tokenizer: tokenizer)
                return PreparedInput(inputIds: ids, images: outs.map {
                    PreparedImage(pixels: $0.pixels, crops: $0.crops, layout: .phi3HD(rows: $0.geometry.cropRows, columns: $0.geometry.cropColumns))
                })
            case .llavaNext(let c):
                let processor = LlavaNextImageProcessor(pinpoints: c.pinpoints.map { ($0.height, $0.width) }, mean: c.imageMean, std: c.imageStd)
                let outs = try images.map { try processor.process($0) }
                let ids = try PromptAssembler.llavaNext(request.text, tokenCounts: outs.map { $0.tokenCount }, tokenizer: tokenizer)
                return PreparedInput(inputIds: ids, images: outs.map {
                    PreparedImage(pixels: $0.pixels, crops: $0.patches, layout: .llavaAnyres(
                        rows: $0.geometry.tileRows, columns: $0.geometry.tileColumns,
                        originalHeight: $0.geometry.originalHeight, originalWidth: $0.geometry.originalWidth))
                })
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
        let input = try prepare(request)
        do { return try model.embed(input, trace: trace) } catch let e as ModelError {
            throw ModelError("request '\(request.id)': \(e.message)")
        }
    }
}
