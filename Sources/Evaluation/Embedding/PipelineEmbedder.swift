import Bundle
import Kernels
import Models
import Preprocessing
import TensorFormats

/// A `RequestEmbedder` over the fp32 source-weight pipeline (`EmbeddingPipeline`).
public struct PipelineEmbedder: RequestEmbedder {
    public let pipeline: EmbeddingPipeline
    public let backbone: String
    public let modelIdentity: String
    public let options: EmbedderOptions

    /// Loads a model folder (and adapter), a GGUF (and its mmproj) or a `.vlmb` bundle, applies the options, and fingerprints it all.
    public init(directory: String, adapter: String?, mmproj: String? = nil, options: EmbedderOptions) throws {
        var pipeline = try EmbeddingPipeline(graph: try ModelSource.openEmbeddingGraph(directory, adapter: adapter, mmproj: mmproj).0)
        let backbone = pipeline.graph.config.kind.rawValue
        pipeline.numCropsOverride = options.numCrops
        let resolution = options.imageResolution ?? ImageResolution.upstreamDefault(backbone: backbone)
        if let side = resolution.side { pipeline.imageResize = (side, side) }
        self.pipeline = pipeline
        self.backbone = backbone
        self.options = options
        // A process-wide VLMEMBED_INT4_INPUTS changes how int4 weights compute (a bundle's own
        // choice is in its manifest, hence in the header hashed below).
        let override = (Int4Inputs.forced ?? Int4Inputs.process).map { " int4_inputs=\($0.rawValue)" } ?? ""
        let settings = "backbone=\(backbone) crops=\(options.numCrops.map(String.init) ?? "config") resolution=\(resolution.rawValue)" + override
        if ModelSource.isBundle(directory) {
            // The header holds the manifest's SHA-256, which holds every tensor's and file's.
            var h = SHA256()
            h.update(try BundleFile(path: directory).header.encoded())
            h.update(Array((ModelFingerprint.engineVersion + "\n" + settings).utf8))
            modelIdentity = SHA256.hexEncoded(h.finalize())
        } else {
            modelIdentity = try ModelFingerprint.identity(modelDirectory: directory, adapter: adapter, mmproj: mmproj, settings: settings)
        }
    }

    public func embed(_ request: EmbeddingRequest) throws -> [Float] {
        try pipeline.embed(request)
    }
}
