import TensorFormats

extension Tokenizer {
    /// Loads a SentencePiece `tokenizer.model` (a serialized `ModelProto`). Only BPE models
    /// (`model_type` 2) are accepted, with the `identity` normalizer.
    ///
    /// Control and unknown pieces (`<s>`, `</s>`, `<unk>`) become special added tokens, matched in
    /// the text like HF's converted tokenizers do; user-defined pieces become plain added tokens.
    /// BOS is added by `encode` (HF's `add_bos_token` default), EOS is not.
    ///
    /// - Parameter legacy: true (default) puts the dummy prefix ▁ in front of every segment between
    ///   added tokens, like HF's converted `tokenizer.json`; false only in front of the first.
    public init(sentencePieceModel path: String, legacy: Bool = true) throws {
        let file = try MappedFile(path: path)
        self = try withExtendedLifetime(file) { try Tokenizer(sentencePieceModel: file.bytes, path: path, legacy: legacy) }
    }

    /// A SentencePiece model from bytes; `path` names the source in error messages.
    public init(sentencePieceModel bytes: UnsafeRawBufferPointer, path: String, legacy: Bool = true) throws {
        var vocab = try SentencePieceModelParser.parse(bytes, path: path)
        vocab.legacy = legacy
        self = try vocab.makeTokenizer()
    }
}

/// Reads the fields of `sentencepiece_model.proto` this tokenizer needs.
enum SentencePieceModelParser {
    // ModelProto: 1 pieces, 2 trainer_spec, 3 normalizer_spec.
    // SentencePiece: 1 piece, 2 score, 3 type.
    // TrainerSpec: 3 model_type, 35 byte_fallback, 40 unk_id, 41 bos_id, 42 eos_id, 43 pad_id.
    // NormalizerSpec: 1 name, 2 precompiled_charsmap, 3 add_dummy_prefix,
    //                 4 remove_extra_whitespaces, 5 escape_whitespaces.

    static func parse(_ bytes: UnsafeRawBufferPointer, path: String) throws -> ScoredVocabulary {
        var pieces: [String] = []
        var scores: [Float] = []
        var types: [Int32] = []
        var modelType: Int64 = 1  // UNIGRAM is the proto default
        var byteFallback = false
        var unk: Int64 = 0, bos: Int64 = 1, eos: Int64 = 2, pad: Int64 = -1
        var normalizerName = ""
        var charsmapBytes = 0
        var addDummyPrefix = true, removeExtra = true, escape = true

        var top = ProtobufReader(ByteReader(bytes, file: path))
        while let field = try top.next() {
            switch (field.number, field.value) {
            case (1, .bytes(let sub)):
                var r = ProtobufReader(sub)
                var piece = "", score: Float = 0, type: Int64 = 1
                while let f = try r.next() {
                    switch (f.number, f.value) {
                    case (1, .bytes(var b)): piece = try b.readUTF8(b.remaining, "piece \(pieces.count) text")
                    case (2, .fixed32(let bits)): score = Float(bitPattern: bits)
                    case (3, .varint(let v)): type = Int64(bitPattern: v)
                    default: break
                    }
                }
                pieces.append(piece)
                scores.append(score)
                types.append(Int32(truncatingIfNeeded: type))
            case (2, .bytes(let sub)):
                var r = ProtobufReader(sub)
                while let f = try r.next() {
                    guard case .varint(let v) = f.value else { continue }
                    let signed = Int64(bitPattern: v)
                    switch f.number {
                    case 3: modelType = signed
                    case 35: byteFallback = v != 0
                    case 40: unk = Int64(Int32(truncatingIfNeeded: signed))
                    case 41: bos = Int64(Int32(truncatingIfNeeded: signed))
                    case 42: eos = Int64(Int32(truncatingIfNeeded: signed))
                    case 43: pad = Int64(Int32(truncatingIfNeeded: signed))
                    default: break
                    }
                }
            case (3, .bytes(let sub)):
                var r = ProtobufReader(sub)
                while let f = try r.next() {
                    switch (f.number, f.value) {
                    case (1, .bytes(var b)): normalizerName = try b.readUTF8(b.remaining, "normalizer name")
                    case (2, .bytes(let b)): charsmapBytes = b.remaining
                    case (3, .varint(let v)): addDummyPrefix = v != 0
                    case (4, .varint(let v)): removeExtra = v != 0
                    case (5, .varint(let v)): escape = v != 0
                    default: break
                    }
                }
            default:
                break
            }
        }

        guard modelType == 2 else {
            let names: [Int64: String] = [1: "UNIGRAM", 3: "WORD", 4: "CHAR"]
            throw FormatError(path, "SentencePiece model_type is \(names[modelType] ?? "unknown") (\(modelType)); only BPE (2) is supported")
        }
        guard !pieces.isEmpty else { throw FormatError(path, "SentencePiece model has no pieces") }
        guard charsmapBytes == 0 || normalizerName == "identity" else {
            throw FormatError(path, "SentencePiece normalizer '\(normalizerName)' with a precompiled charsmap is not supported (only 'identity')")
        }
        func id(_ v: Int64, _ what: String) throws -> Int? {
            if v < 0 { return nil }
            guard v < pieces.count else {
                throw FormatError(path, "\(what) \(v) is outside the \(pieces.count)-piece vocabulary")
            }
            return Int(v)
        }
        var vocab = ScoredVocabulary(
            source: path, pieces: pieces, scores: scores, types: types,
            unk: try id(unk, "unk_id"), bos: try id(bos, "bos_id"), eos: try id(eos, "eos_id"), pad: try id(pad, "pad_id"))
        vocab.byteFallback = byteFallback
        vocab.addDummyPrefix = addDummyPrefix
        vocab.removeExtraWhitespaces = removeExtra
        vocab.escapeWhitespaces = escape
        return vocab
    }
}

/// A minimal protobuf wire-format reader over a bounds-checked `ByteReader`.
struct ProtobufReader {
    enum Value {
        case varint(UInt64)
        case fixed64(UInt64)
        case fixed32(UInt32)
        case bytes(ByteReader)
    }

    struct Field {
        var number: UInt64
        var value: Value
    }

    private var r: ByteReader

    init(_ reader: ByteReader) { r = reader }

    /// The next field, or nil at the end of the message.
    mutating func next() throws -> Field? {
        if r.remaining == 0 { return nil }
        let key = try readVarint("field key")
        let number = key >> 3
        switch key & 7 {
        case 0: return Field(number: number, value: .varint(try readVarint("field \(number) varint")))
        case 1: return Field(number: number, value: .fixed64(try r.read(UInt64.self, "field \(number) fixed64")))
        case 5: return Field(number: number, value: .fixed32(try r.read(UInt32.self, "field \(number) fixed32")))
        case 2:
            let len = try readVarint("field \(number) length")
            guard len <= UInt64(r.remaining) else {
                throw FormatError(r.file, "protobuf field \(number) length \(len) runs past the end (offset \(r.offset))")
            }
            let sub = try r.readBytes(Int(len), "field \(number) bytes")
            return Field(number: number, value: .bytes(ByteReader(sub, file: r.file)))
        default:
            throw FormatError(r.file, "unsupported protobuf wire type \(key & 7) for field \(number) at offset \(r.offset)")
        }
    }

    private mutating func readVarint(_ what: String) throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try r.read(UInt8.self, what)
            if shift < 64 { result |= UInt64(b & 0x7F) << shift }
            if b & 0x80 == 0 { return result }
            shift += 7
            if shift >= 70 { throw FormatError(r.file, "\(what): varint longer than 10 bytes at offset \(r.offset)") }
        }
    }
}
