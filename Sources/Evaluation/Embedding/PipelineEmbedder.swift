import Bundle
import Kernels
import Preprocessing
import Runtime
import TensorFormats

/// A `RequestEmbedder` over the Runtime facade (`EmbeddingEngine`): a source folder, a GGUF or a bundle.
public struct PipelineEmbedder: RequestEmbedder {
    public let engine: EmbeddingEngine
    public let backbone: String
    public let modelIdentity: String
    public let options: EmbedderOptions

    /// Opens a model folder (and adapter), a GGUF (and its mmproj) or a `.vlmb` bundle, applies the options, and fingerprints it all.
    public init(directory: String, adapter: String?, mmproj: String? = nil, options: EmbedderOptions) throws {
        let spec = ModelSpec(path: directory, adapter: adapter, mmproj: mmproj)
        // The backbone decides the default resolution, so the graph is opened before the options are final.
        let opened = try EmbeddingEngine.open(spec, options: EngineOptions(numCrops: options.numCrops))
        let backbone = opened.info.backbone
        let resolution = options.imageResolution ?? ImageResolution.upstreamDefault(backbone: backbone)
        engine = try opened.reconfigured(EngineOptions(numCrops: options.numCrops, imageSide: resolution.side))
        self.backbone = backbone
        self.options = options
        // A process-wide VLMEMBED_INT4_INPUTS changes how int4 weights compute (a bundle's own
        // choice is in its manifest, hence in the header hashed below).
        let override = (Int4Inputs.forced ?? Int4Inputs.process).map { " int4_inputs=\($0.rawValue)" } ?? ""
        let settings = "backbone=\(backbone) crops=\(options.numCrops.map(String.init) ?? "config") resolution=\(resolution.rawValue)" + override
        if let bundle = engine.bundle {
            // The header holds the manifest's SHA-256, which holds every tensor's and file's.
            var h = SHA256()
            h.update(try bundle.header.encoded())
            h.update(Array((ModelFingerprint.engineVersion + "\n" + settings).utf8))
            modelIdentity = SHA256.hexEncoded(h.finalize())
        } else {
            modelIdentity = try ModelFingerprint.identity(modelDirectory: directory, adapter: adapter, mmproj: mmproj, settings: settings)
        }
    }

    public var imageMarker: String { engine.info.imageMarker }

    public func embed(_ request: EmbeddingRequest) throws -> [Float] {
        try engine.embed(EmbeddingInput(request)).vector
    }
}
