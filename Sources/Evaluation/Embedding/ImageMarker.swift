import Foundation

/// VLM2Vec's image-marker substitution: the MMEB data hard-codes Phi-3's `<|image_1|>`, and for any
/// other backbone the eval dataset replaces it with that backbone's image token (`<image>` for
/// LLaVA-NeXT) on query and candidate texts alike, whether or not the input carries an image.
public enum ImageMarker {
    /// The marker the MMEB data is written with.
    public static let mmeb = "<|image_1|>"

    /// `backbone`'s image token.
    public static func token(for backbone: String) -> String {
        switch backbone {
        case "llava_next": return "<image>"
        default: return mmeb
        }
    }

    /// `text` with the MMEB marker rewritten for `backbone`.
    public static func apply(_ text: String, backbone: String) -> String {
        let token = token(for: backbone)
        return token == mmeb ? text : text.replacingOccurrences(of: mmeb, with: token)
    }
}
