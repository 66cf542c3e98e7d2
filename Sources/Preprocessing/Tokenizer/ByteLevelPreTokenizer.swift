/// The word splitting in front of a byte-level BPE, as llama.cpp does it for a GGUF's
/// `tokenizer.ggml.pre`: a chain of regex splits, each applied to every piece the previous one
/// left (both the matches and the text between them become pieces), then every piece spelled
/// in the byte-level alphabet. The regexes are implemented by hand on Unicode general categories.
public struct ByteLevelPreTokenizer: Sendable, Equatable {
    /// One regex split.
    public enum Split: Sendable, Equatable {
        /// `\p{N}`: every number scalar on its own.
        case eachNumber
        /// `\p{N}+`: runs of number scalars.
        case numberRuns
        /// `[\p{P}\$\+<=>\^~\|]+`: runs of punctuation and those eight ASCII symbols.
        case punctuationRuns
        /// `[0-9][0-9][0-9]`: ASCII digit triples, leftmost first.
        case asciiDigitTriples
        /// GPT-2's `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
        case gpt2
    }

    /// The `tokenizer.ggml.pre` value this chain implements (`"default"` when the key is absent).
    public var name: String
    /// The splits, in order.
    public var splits: [Split]

    public init(name: String, splits: [Split]) {
        self.name = name
        self.splits = splits
    }

    /// The `tokenizer.ggml.pre` values supported, as llama.cpp defines them: `default` (also
    /// used when the key is absent), `gpt-2` (and the alias `gpt2`), `smollm`.
    public static let supportedNames = ["default", "gpt-2", "gpt2", "smollm"]

    /// The chain llama.cpp uses for `tokenizer.ggml.pre` (nil: the key is absent, llama.cpp's
    /// `default`); nil for a value that is not supported.
    public init?(ggufName: String?) {
        switch ggufName ?? "default" {
        case "default": self.init(name: "default", splits: [.punctuationRuns, .gpt2, .numberRuns, .asciiDigitTriples])
        case "gpt-2", "gpt2": self.init(name: ggufName ?? "gpt-2", splits: [.gpt2])
        case "smollm": self.init(name: "smollm", splits: [.eachNumber, .gpt2])
        default: return nil
        }
    }

    /// Splits UTF-8 `text` into words and spells them in the byte-level alphabet: the returned
    /// ranges index the returned bytes.
    func split(_ text: [UInt8]) -> (bytes: [UInt8], words: [Range<Int>]) {
        var scalars: [UInt32] = []
        var offsets: [Int] = []
        scalars.reserveCapacity(text.count)
        offsets.reserveCapacity(text.count + 1)
        var i = 0
        while i < text.count {
            let (v, length) = UTF8Scalars.decode(text, at: i)
            scalars.append(v)
            offsets.append(i)
            i += length
        }
        offsets.append(text.count)
        let s = ScalarRun(scalars)
        var pieces = scalars.isEmpty ? [] : [0..<scalars.count]
        for split in splits {
            var next: [Range<Int>] = []
            next.reserveCapacity(pieces.count * 2)
            for p in pieces { s.split(p, by: split, into: &next) }
            pieces = next
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count * 2)
        var words: [Range<Int>] = []
        words.reserveCapacity(pieces.count)
        for p in pieces {
            let start = bytes.count
            ByteLevelAlphabet.encode(text[offsets[p.lowerBound]..<offsets[p.upperBound]], into: &bytes)
            words.append(start..<bytes.count)
        }
        return (bytes, words)
    }
}
