import TensorFormats

/// Text normalization and pre-tokenization for SentencePiece-style tokenizers, on UTF-8 bytes.
///
/// The normalizer runs on every text segment between added tokens (HF `normalizer`), and the
/// optional Metaspace step then cuts the result into words (HF `pre_tokenizer`); a byte-level
/// tokenizer cuts and spells its words with a `ByteLevelPreTokenizer` instead.
public struct TextNormalizer: Sendable, Equatable {
    /// One normalization step, applied in order.
    public enum Step: Sendable, Equatable {
        /// HF `Prepend`: put `prefix` in front of a non-empty segment.
        case prepend(String)
        /// HF `Replace` with a literal pattern: replace every `pattern` with `content`.
        case replace(pattern: String, content: String)
        /// SentencePiece `remove_extra_whitespaces`: drop leading/trailing spaces, squeeze runs to one.
        case removeExtraSpaces
    }

    /// When the Metaspace pre-tokenizer puts its replacement character in front of a segment.
    public enum PrependScheme: String, Sendable, Equatable {
        /// In front of every segment (the legacy behaviour).
        case always
        /// Only in front of the segment that starts the input.
        case first
        /// Never.
        case never
    }

    /// HF `Metaspace` pre-tokenizer: spaces become `replacement`, the replacement is prepended
    /// per `prependScheme` (unless already there), and with `split` the text is cut before every
    /// replacement character.
    public struct Metaspace: Sendable, Equatable {
        /// The character that stands for a space (▁).
        public var replacement: String
        /// When the replacement is put in front of a segment.
        public var prependScheme: PrependScheme
        /// Cut the text before every replacement character (each word is merged separately).
        public var split: Bool

        public init(replacement: String = "\u{2581}", prependScheme: PrependScheme = .always, split: Bool = true) {
            self.replacement = replacement
            self.prependScheme = prependScheme
            self.split = split
        }
    }

    /// The normalization steps, in order.
    public var steps: [Step]
    /// The Metaspace pre-tokenizer, if any (nil means the whole segment is one word).
    public var metaspace: Metaspace?
    /// The byte-level pre-tokenizer of a GPT-2 style vocabulary (takes the place of `metaspace`).
    public var byteLevel: ByteLevelPreTokenizer?

    public init(steps: [Step] = [], metaspace: Metaspace? = nil, byteLevel: ByteLevelPreTokenizer? = nil) {
        self.steps = steps
        self.metaspace = metaspace
        self.byteLevel = byteLevel
    }

    /// The most times longer `normalize` can make a text (saturating at `Int.max`): the product of
    /// each `Replace`'s ⌈content/pattern⌉ byte ratio (≥ 1). `Prepend` adds a constant.
    public var growthFactor: Int {
        var factor = 1
        for case .replace(let pattern, let content) in steps where !pattern.isEmpty {
            let p = pattern.utf8.count, c = content.utf8.count
            let step = max(1, (c + p - 1) / p)
            let (r, o) = factor.multipliedReportingOverflow(by: step)
            factor = o ? Int.max : r
        }
        return factor
    }

    /// Refuses a step chain that can grow a text past `InputLimits.maxNormalizerGrowth` times.
    func checkGrowth(file: String) throws {
        let g = growthFactor
        guard g <= InputLimits.maxNormalizerGrowth else {
            throw FormatError(file, "normalizer Replace steps can make a text \(g == Int.max ? "unboundedly" : "\(g)×") longer, above the limit of \(InputLimits.maxNormalizerGrowth)×")
        }
    }

    /// Applies the normalization steps to one segment.
    func normalize(_ input: ArraySlice<UInt8>) -> [UInt8] {
        var s = Array(input)
        for step in steps {
            switch step {
            case .prepend(let prefix):
                if !s.isEmpty { s = Array(prefix.utf8) + s }
            case .replace(let pattern, let content):
                s = Self.replaceAll(s, Array(pattern.utf8), Array(content.utf8))
            case .removeExtraSpaces:
                s = Self.squeezeSpaces(s)
            }
        }
        return s
    }

    /// Applies the Metaspace or byte-level step (if any) and returns the words to BPE-encode.
    /// `startsInput` tells whether the segment begins at offset 0 of the original text.
    func preTokenize(_ normalized: [UInt8], startsInput: Bool) -> (bytes: [UInt8], words: [Range<Int>]) {
        if let byteLevel { return byteLevel.split(normalized) }
        guard let ms = metaspace else { return (normalized, [0..<normalized.count]) }
        let rep = Array(ms.replacement.utf8)
        var s = Self.replaceAll(normalized, [0x20], rep)
        let prepend: Bool
        switch ms.prependScheme {
        case .always: prepend = true
        case .first: prepend = startsInput
        case .never: prepend = false
        }
        if prepend && !s.isEmpty && !s.starts(with: rep) { s = rep + s }
        guard ms.split, !rep.isEmpty else { return (s, [0..<s.count]) }
        var words: [Range<Int>] = []
        var start = 0
        var i = 0
        while i < s.count {
            if i > start && s[i] == rep[0] && s[i...].starts(with: rep) {
                words.append(start..<i)
                start = i
                i += rep.count
            } else {
                i += 1
            }
        }
        if start < s.count { words.append(start..<s.count) }
        return (s, words)
    }

    static func replaceAll(_ s: [UInt8], _ pattern: [UInt8], _ content: [UInt8]) -> [UInt8] {
        guard let first = pattern.first else { return s }
        var out: [UInt8] = []
        out.reserveCapacity(s.count + s.count / 2)
        var i = 0
        let n = s.count, m = pattern.count
        while i < n {
            if s[i] == first && i + m <= n && (m == 1 || s[i..<(i + m)].elementsEqual(pattern)) {
                out.append(contentsOf: content)
                i += m
            } else {
                out.append(s[i])
                i += 1
            }
        }
        return out
    }

    static func squeezeSpaces(_ s: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(s.count)
        var pendingSpace = false
        for b in s {
            if b == 0x20 {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(0x20) }
                pendingSpace = false
                out.append(b)
            }
        }
        return out
    }
}
