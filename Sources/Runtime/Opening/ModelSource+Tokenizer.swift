import Bundle
import Preprocessing

extension ModelSource {
    /// The tokenizer of a folder (`tokenizer.json` / `tokenizer.model`), a GGUF's vocabulary or a
    /// bundle's embedded tokenizer (checked against its manifest hash first), without opening the weights.
    public static func tokenizer(for path: String) throws -> Tokenizer {
        guard isBundle(path) else { return try Tokenizer.load(model: path) }
        let bundle = try BundleFile(path: path)
        return try Tokenizer.load(origin: path) { try bundle.verifiedEmbeddedFile($0) }
    }
}
