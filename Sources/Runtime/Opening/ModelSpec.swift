import Preprocessing
import TensorFormats

/// What `--model`, `--adapter` and `--mmproj` name: a Hugging Face folder (with an optional PEFT
/// adapter merged at load), a GGUF (with its `clip` mmproj for images) or a `.vlmb` bundle.
public struct ModelSpec: Sendable, Equatable {
    /// The model: a folder, a `.gguf` or a `.vlmb`.
    public var path: String
    /// A PEFT LoRA/DoRA adapter folder (source folders only).
    public var adapter: String?
    /// A LLaVA-1.6 `clip` mmproj GGUF (GGUF models only).
    public var mmproj: String?

    public init(path: String, adapter: String? = nil, mmproj: String? = nil) {
        self.path = path
        self.adapter = adapter
        self.mmproj = mmproj
    }
}

/// Settings that change how requests are prepared (and so their embeddings).
public struct EngineOptions: Sendable, Equatable {
    /// Phi-3-V HD crops per image (nil: `preprocessor_config.json`'s `num_crops`).
    public var numCrops: Int?
    /// Resize every decoded image to this square side first (Pillow bicubic), as VLM2Vec's eval
    /// does for non-Phi backbones; nil: no resize.
    public var imageSide: Int?
    /// Images above this many pixels are refused from their header, before decoding.
    public var maxImagePixels: Int

    /// The largest `numCrops` accepted (`InputLimits.maxCrops`: Phi-3-V's processor makes up to crops+1 336² crops).
    public static let maxCrops = InputLimits.maxCrops

    public init(numCrops: Int? = nil, imageSide: Int? = nil, maxImagePixels: Int = ImageDecoder.defaultMaxPixels) {
        self.numCrops = numCrops
        self.imageSide = imageSide
        self.maxImagePixels = maxImagePixels
    }

    /// Checks the values a user gave; one line naming the option.
    public func validated() throws -> EngineOptions {
        if let numCrops, !(1...Self.maxCrops).contains(numCrops) {
            throw RuntimeError("--crops must be between 1 and \(Self.maxCrops) (got \(numCrops))")
        }
        if let imageSide, !(1...4096).contains(imageSide) {
            throw RuntimeError("image resize side must be between 1 and 4096 (got \(imageSide))")
        }
        return self
    }
}

/// A facade-level failure, one line.
public struct RuntimeError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
