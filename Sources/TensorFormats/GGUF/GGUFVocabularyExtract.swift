extension GGUFFile {
    /// A GGUF v3 holding only this file's vocabulary: `general.architecture` (when present) and
    /// every `tokenizer.*` key with its exact type, in file order, and no tensors — what llama.cpp
    /// ships as `ggml-vocab-*.gguf`, and what bundles made from a GGUF embed as `tokenizer.gguf`.
    /// `appendingControlTokens` are added after the last id (score 0, type 3 = control), e.g. the
    /// `<image>` marker a LLaVA vocabulary converted without it needs.
    public func vocabularyOnlyBytes(appendingControlTokens extra: [String] = []) throws -> [UInt8] {
        var entries = metadataEntries.filter { $0.key == "general.architecture" || $0.key.hasPrefix("tokenizer.") }
        if !extra.isEmpty {
            entries = try entries.map { key, value in
                let added: [GGUFValue]
                switch key {
                case "tokenizer.ggml.tokens": added = extra.map { .string($0) }
                case "tokenizer.ggml.scores": added = extra.map { _ in .float32(0) }
                case "tokenizer.ggml.token_type": added = extra.map { _ in .int32(3) }
                default: return (key, value)
                }
                guard case .array(let type, let values) = value, values.first.map({ $0.type == added[0].type }) ?? true else {
                    throw FormatError(path, "\(key) is not an array of \(added[0].type)")
                }
                return (key, .array(elementType: type, values: values + added))
            }
        }
        var out: [UInt8] = Array("GGUF".utf8)
        GGUFValueCoding.append(UInt32(3), to: &out)
        GGUFValueCoding.append(UInt64(0), to: &out)
        GGUFValueCoding.append(UInt64(entries.count), to: &out)
        for (key, value) in entries {
            GGUFValueCoding.appendString(key, to: &out)
            GGUFValueCoding.append(value.type.rawValue, to: &out)
            try GGUFValueCoding.appendValue(value, to: &out, key: key)
        }
        out.append(contentsOf: repeatElement(0, count: GGUFWriter.padding(out.count, GGUFFile.defaultAlignment)))
        return out
    }

    /// The key/value pairs of a GGUF held in memory (the header is validated as for a file; tensor
    /// data is not read). `path` names it in errors.
    public static func metadata(of bytes: UnsafeRawBufferPointer, path: String) throws -> [String: GGUFValue] {
        try GGUFHeaderParser.parse(bytes, path: path).metadata
    }
}
