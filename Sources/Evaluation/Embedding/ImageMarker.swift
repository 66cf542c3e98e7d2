import Foundation

/// VLM2Vec's image-marker substitution: the MMEB data hard-codes Phi-3's `<|image_1|>`, and for any
/// other backbone the eval dataset replaces it with that backbone's image token (`<image>` for
/// LLaVA-NeXT) on query and candidate texts alike, whether or not the input carries an image. The
/// model's own marker comes from its embedding head (`ModelInfo.imageMarker`).
public enum ImageMarker {
    /// The marker the MMEB data is written with.
    public static let mmeb = "<|image_1|>"

    /// `text` with the MMEB marker rewritten to `marker` (unchanged for Phi-3-V's own marker, and
    /// for text-only models, which have none).
    public static func apply(_ text: String, marker: String) -> String {
        marker.isEmpty || marker == mmeb ? text : text.replacingOccurrences(of: mmeb, with: marker)
    }
}
