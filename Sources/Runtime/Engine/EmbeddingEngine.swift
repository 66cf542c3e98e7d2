import Bundle
import Kernels
import ModelGraph
import Models
import Preprocessing
import TensorFormats

/// The library facade: one model opened once, embedding inputs the VLM2Vec way (final-norm state
/// of the last token, L2-normalised), each as if alone. The command line, the server and the
/// evaluator all reach models through it.
///
/// ```swift
/// let engine = try EmbeddingEngine.open(ModelSpec(path: "phi3v-int8.vlmb"))
/// let e = try engine.embed(.prompt(id: "q", "<|image_1|> Represent the given image.", images: [.file("cat.jpg")]))
/// ```
public final class EmbeddingEngine: Sendable {
    public let spec: ModelSpec
    public let options: EngineOptions
    /// Tokenizer, processors, forward pass and head.
    public let pipeline: EmbeddingPipeline
    public let info: ModelInfo
    /// The bundle, when the model is one.
    public let bundle: BundleFile?

    init(spec: ModelSpec, options: EngineOptions, pipeline: EmbeddingPipeline, bundle: BundleFile?) {
        self.spec = spec
        self.options = options
        self.pipeline = pipeline
        self.bundle = bundle
        info = ModelInfo(spec: spec, graph: pipeline.graph, head: pipeline.model.head, bundle: bundle)
    }

    /// Opens a folder (merging `spec.adapter`), a GGUF (with `spec.mmproj`) or a bundle.
    public static func open(_ spec: ModelSpec, options: EngineOptions = EngineOptions()) throws -> EmbeddingEngine {
        let options = try options.validated()
        let bundle = ModelSource.isBundle(spec.path) ? try BundleFile(path: spec.path) : nil
        let graph: ModelGraph
        if let bundle {
            try ModelSource.refuseAdditions(to: spec)
            graph = try bundle.graph()
        } else {
            graph = try ModelSource.openEmbeddingGraph(spec.path, adapter: spec.adapter, mmproj: spec.mmproj).0
        }
        var pipeline = try EmbeddingPipeline(graph: graph)
        pipeline.numCropsOverride = options.numCrops
        pipeline.maxImagePixels = options.maxImagePixels
        if let side = options.imageSide { pipeline.imageResize = (side, side) }
        return EmbeddingEngine(spec: spec, options: options, pipeline: pipeline, bundle: bundle)
    }

    /// The same model with other preparation settings (no reload).
    public func reconfigured(_ options: EngineOptions) throws -> EmbeddingEngine {
        let options = try options.validated()
        var pipeline = self.pipeline
        pipeline.numCropsOverride = options.numCrops
        pipeline.maxImagePixels = options.maxImagePixels
        pipeline.imageResize = options.imageSide.map { ($0, $0) }
        return EmbeddingEngine(spec: spec, options: options, pipeline: pipeline, bundle: bundle)
    }

    /// The tokenizer.
    public var tokenizer: Tokenizer { pipeline.tokenizer }
}

/// One input ready for the forward pass.
public struct PreparedRequest: Sendable {
    public var id: String
    public var input: PreparedInput
    /// Tokens the model will see (image tokens included).
    public var promptTokens: Int { input.inputIds.count }
    /// Whether it can share a packed forward with others (text only).
    public var isPackable: Bool { EmbeddingPipeline.canPack(input) }
}

extension EmbeddingEngine {
    /// Tokens and pixels for one input. Errors are `InputError`s naming the input.
    public func prepare(_ input: EmbeddingInput) throws -> PreparedRequest {
        let prepared: PreparedInput
        switch input.content {
        case .tokens(let ids):
            guard !ids.isEmpty else { throw InputError(.invalid, "request '\(input.id)': no tokens") }
            if let bad = ids.first(where: { $0 < 0 || $0 >= info.vocabularySize }) {
                throw InputError(.invalid, "request '\(input.id)': token id \(bad) is outside the vocabulary [0, \(info.vocabularySize))")
            }
            prepared = PreparedInput(inputIds: ids)
        case .prompt(let text, let images):
            let decoded = try images.enumerated().map { try decode($1, index: $0, id: input.id) }
            do {
                prepared = try pipeline.preprocess(id: input.id, text: text, images: decoded).input
            } catch let e as ModelError {
                throw InputError(.invalid, e.message)
            }
        }
        let count = prepared.inputIds.count
        guard count > 0 else { throw InputError(.invalid, "request '\(input.id)': the prompt gives no tokens") }
        guard count <= info.maxPositions else {
            throw InputError(.tooLong, "request '\(input.id)': \(count) tokens, more than the model's context of \(info.maxPositions)")
        }
        return PreparedRequest(id: input.id, input: prepared)
    }

    /// What upstream's processor returns for one image and prompt (`preprocess`); the prompt
    /// defaults to the backbone's `<marker> Represent the given image.`.
    public func processorOutput(image: ImageInput, text: String? = nil) throws -> EmbeddingPipeline.ProcessorOutput {
        guard info.takesImages else {
            throw RuntimeError("\(spec.path): \(info.backbone) is a text-only model: nothing to preprocess an image for (a GGUF needs --mmproj)")
        }
        let rgb = try decode(image, index: 0, id: "image")
        do {
            return try pipeline.preprocess(id: "image", text: text ?? info.imageMarker + " Represent the given image.", images: [rgb])
        } catch let e as ModelError {
            throw InputError(.invalid, e.message)
        }
    }

    /// Decodes one image, refusing one over the pixel limit from its header.
    func decode(_ image: ImageInput, index: Int, id: String) throws -> RGBImage {
        let decoded: RGBImage
        do {
            switch image {
            case .decoded(let rgb):
                decoded = rgb
            case .file(let path):
                let file = try MappedFile(path: path)
                decoded = try withExtendedLifetime(file) { try checkedDecode(file.bytes, name: path, id: id) }
            case .encoded(let bytes, let name):
                decoded = try bytes.withUnsafeBytes { try checkedDecode($0, name: name, id: id) }
            }
        } catch let e as InputError {
            throw e
        } catch {
            throw InputError(.invalid, "request '\(id)': image \(index + 1): \(error)")
        }
        guard let side = options.imageSide else { return decoded }
        return PillowResampler.resize(decoded, width: side, height: side, filter: .bicubic)
    }

    private func checkedDecode(_ bytes: UnsafeRawBufferPointer, name: String, id: String) throws -> RGBImage {
        let header = try ImageDecoder.probe(bytes, name: name)
        let (pixels, overflow) = header.width.multipliedReportingOverflow(by: header.height)
        if overflow || pixels > options.maxImagePixels {
            throw InputError(.tooLarge, "request '\(id)': image \(name) is \(header.width)x\(header.height), over the \(options.maxImagePixels / 1_000_000)-megapixel limit")
        }
        return try ImageDecoder.decode(bytes, name: name, maxPixels: options.maxImagePixels)
    }

    /// The embedding of one prepared input, alone. `trace` records every intermediate.
    public func embed(_ request: PreparedRequest, trace: Trace = .disabled) throws -> Embedding {
        let vector = try pipeline.embed(id: request.id, input: request.input, trace: trace)
        return try checked(Embedding(id: request.id, vector: vector, promptTokens: request.promptTokens))
    }

    /// The embedding of one input, alone.
    public func embed(_ input: EmbeddingInput, trace: Trace = .disabled) throws -> Embedding {
        try embed(try prepare(input), trace: trace)
    }

    /// Embeddings of prepared inputs, in order: text-only ones share packed forwards, the others run
    /// alone; each result is bit-identical to embedding that input alone.
    public func embed(_ requests: [PreparedRequest]) -> [Result<Embedding, any Error>] {
        var results = [Result<Embedding, any Error>?](repeating: nil, count: requests.count)
        let packable = requests.indices.filter { requests[$0].isPackable }
        if packable.count > 1 {
            let packed = pipeline.embedPacked(packable.map { (id: requests[$0].id, input: requests[$0].input) })
            for (k, i) in packable.enumerated() {
                results[i] = packed[k].flatMap { v in
                    Result { try checked(Embedding(id: requests[i].id, vector: v, promptTokens: requests[i].promptTokens)) }
                }
            }
        }
        for i in requests.indices where results[i] == nil {
            results[i] = Result { try embed(requests[i]) }
        }
        return results.map { $0 ?? .failure(RuntimeError("internal: a request was not embedded")) }
    }

    /// Embeddings of inputs, in order (preparation errors are per input).
    public func embed(_ inputs: [EmbeddingInput]) -> [Result<Embedding, any Error>] {
        let prepared = inputs.map { input in Result { try prepare(input) } }
        let ready = prepared.compactMap { try? $0.get() }
        var embedded = embed(ready).makeIterator()
        return prepared.map { p in p.flatMap { _ in embedded.next() ?? .failure(RuntimeError("internal: missing result")) } }
    }

    /// A non-finite embedding (NaN/Inf weights or inputs) is an error for that input, never a row of nulls.
    private func checked(_ e: Embedding) throws -> Embedding {
        guard e.vector.allSatisfy(\.isFinite) else {
            throw InputError(.invalid, "request '\(e.id)': the embedding is not finite (NaN or infinite values in the model's output)")
        }
        return e
    }
}
