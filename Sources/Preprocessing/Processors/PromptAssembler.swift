/// Turns a VLM2Vec prompt and its images' token counts into `input_ids`, the way each backbone's
/// processor does — quirks included.
///
/// - Phi-3-V: the text is split at `<|image_N|>` markers; every chunk is tokenised separately with
///   its own BOS (so a second BOS follows each image run), and marker N becomes −N repeated T_N times.
/// - LLaVA-NeXT: `<|image_N|>` markers are rewritten to `<image>` (as VLM2Vec does for non-Phi
///   backbones), each `<image>` is expanded to N_i copies, and the whole string is tokenised once with BOS.
///
/// A request without images takes the text-only path: markers stay literal text (Phi-3-V) or the
/// plain `<image>` token (LLaVA), exactly as upstream embeds MMEB's marker-only queries.
public enum PromptAssembler {
    /// Phi-3-V `input_ids`. `tokenCounts[i]` is image i+1's token count.
    public static func phi3V(_ text: String, tokenCounts: [Int], tokenizer: Tokenizer) throws(PreprocessingError) -> [Int] {
        if tokenCounts.isEmpty { return tokenizer.encode(text, addSpecialTokens: true) }
        let (chunks, markers) = splitMarkers(text)
        let unique = Set(markers).sorted()
        guard !unique.isEmpty else {
            throw PreprocessingError("prompt has no <|image_N|> marker but \(tokenCounts.count) image(s) were given")
        }
        guard unique == Array(1...unique.count) else {
            throw PreprocessingError("image markers must be <|image_1|> … <|image_N|> without gaps, got \(markers.map { "<|image_\($0)|>" }.joined(separator: " "))")
        }
        guard unique.count == tokenCounts.count else {
            throw PreprocessingError("prompt has \(unique.count) distinct image marker(s) but \(tokenCounts.count) image(s) were given")
        }
        guard markers.count == unique.count else {
            throw PreprocessingError("each image marker must appear once; the prompt repeats one")
        }
        var ids: [Int] = []
        for (i, chunk) in chunks.enumerated() {
            ids += tokenizer.encode(chunk, addSpecialTokens: true)
            if i < markers.count {
                let n = markers[i]
                ids += [Int](repeating: -n, count: tokenCounts[n - 1])
            }
        }
        return ids
    }

    /// LLaVA-NeXT `input_ids`. `tokenCounts[i]` is the i-th image's token count (in prompt order).
    public static func llavaNext(_ text: String, tokenCounts: [Int], imageToken: String = "<image>", tokenizer: Tokenizer) throws(PreprocessingError) -> [Int] {
        let (chunks, markers) = splitMarkers(text)
        var rewritten = ""
        for (i, chunk) in chunks.enumerated() {
            rewritten += chunk
            if i < markers.count { rewritten += imageToken }
        }
        if tokenCounts.isEmpty { return tokenizer.encode(rewritten, addSpecialTokens: true) }
        let parts = split(rewritten, on: imageToken)
        let found = parts.count - 1
        guard found == tokenCounts.count else {
            throw PreprocessingError("prompt has \(found) image marker(s) but \(tokenCounts.count) image(s) were given")
        }
        var expanded = parts[0]
        for (i, n) in tokenCounts.enumerated() {
            expanded += String(repeating: imageToken, count: n) + parts[i + 1]
        }
        return tokenizer.encode(expanded, addSpecialTokens: true)
    }

    /// Splits `text` at every occurrence of `separator`.
    static func split(_ text: String, on separator: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var i = text.startIndex
        while i < text.endIndex {
            if text[i...].hasPrefix(separator) {
                parts.append(current)
                current = ""
                i = text.index(i, offsetBy: separator.count)
            } else {
                current.append(text[i])
                i = text.index(after: i)
            }
        }
        parts.append(current)
        return parts
    }

    /// Splits at `<|image_N|>` (N ≥ 1, decimal); returns the text chunks (markers + 1 of them) and the marker numbers.
    static func splitMarkers(_ text: String) -> (chunks: [String], markers: [Int]) {
        var chunks: [String] = []
        var markers: [Int] = []
        var current = ""
        var i = text.startIndex
        let open = "<|image_"
        while i < text.endIndex {
            if text[i...].hasPrefix(open) {
                var j = text.index(i, offsetBy: open.count)
                var digits = ""
                while j < text.endIndex, text[j].isASCII, text[j].isNumber { digits.append(text[j]); j = text.index(after: j) }
                if !digits.isEmpty, text[j...].hasPrefix("|>"), let n = Int(digits) {
                    chunks.append(current)
                    current = ""
                    markers.append(n)
                    i = text.index(j, offsetBy: 2)
                    continue
                }
            }
            current.append(text[i])
            i = text.index(after: i)
        }
        chunks.append(current)
        return (chunks, markers)
    }
}
