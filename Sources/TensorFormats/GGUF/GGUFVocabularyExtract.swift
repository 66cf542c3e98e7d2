extension GGUFFile {
    /// A GGUF v3 holding only this file's vocabulary: `general.architecture` (when present) and
    /// every `tokenizer.*` key with its exact type, in file order, and no tensors — what llama.cpp
    /// ships as `ggml-vocab-*.gguf`, and what bundles made from a GGUF embed as `tokenizer.gguf`.
    public func vocabularyOnlyBytes() throws -> [UInt8] {
        let entries = metadataEntries.filter { $0.key == "general.architecture" || $0.key.hasPrefix("tokenizer.") }
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
