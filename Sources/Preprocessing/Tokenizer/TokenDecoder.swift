/// Turns token pieces back into text, following HF's decoder chain semantics: each step maps
/// the list of token strings to a new list, and the final list is concatenated.
public struct TokenDecoder: Sendable, Equatable {
    /// One decoder step (HF `decoders.*`).
    public enum Step: Sendable, Equatable {
        /// `Replace`: replace every literal `pattern` in each token with `content`.
        case replace(pattern: String, content: String)
        /// `ByteFallback`: runs of `<0xXX>` tokens become their UTF-8 text, or one U+FFFD per byte
        /// when the run is not valid UTF-8.
        case byteFallback
        /// `Fuse`: concatenate all tokens into one.
        case fuse
        /// `Strip`: remove up to `start` leading and `stop` trailing `content` characters per token.
        case strip(content: Character, start: Int, stop: Int)
        /// `Metaspace` decoder: the replacement becomes a space, except in the first token when
        /// the scheme prepends (there it is dropped).
        case metaspace(replacement: Character, prependScheme: TextNormalizer.PrependScheme)
        /// `ByteLevel`: tokens spelled in GPT-2's byte alphabet back to their bytes, all fused
        /// into one UTF-8 string (invalid sequences become U+FFFD).
        case byteLevel
    }

    /// The steps; nil means "no decoder": tokens are joined with single spaces, as HF does.
    public var steps: [Step]?

    public init(steps: [Step]?) { self.steps = steps }

    /// The chain SentencePiece-converted tokenizers declare:
    /// Replace(▁→space), ByteFallback, Fuse, and Strip(1 leading space) when a dummy prefix is added.
    public static func sentencePiece(stripLeadingSpace: Bool) -> TokenDecoder {
        var steps: [Step] = [.replace(pattern: "\u{2581}", content: " "), .byteFallback, .fuse]
        if stripLeadingSpace { steps.append(.strip(content: " ", start: 1, stop: 0)) }
        return TokenDecoder(steps: steps)
    }

    /// Decodes `tokens` into a string.
    public func decode(_ tokens: [String]) -> String {
        guard let steps else { return tokens.joined(separator: " ") }
        var t = tokens
        for step in steps {
            switch step {
            case .replace(let pattern, let content):
                let from = Array(pattern.utf8), to = Array(content.utf8)
                t = t.map { String(decoding: TextNormalizer.replaceAll(Array($0.utf8), from, to), as: UTF8.self) }
            case .byteFallback:
                t = Self.byteFallback(t)
            case .fuse:
                t = [t.joined()]
            case .byteLevel:
                t = [ByteLevelAlphabet.decode(t)]
            case .strip(let c, let start, let stop):
                t = t.map { Self.strip($0, c, start, stop) }
            case .metaspace(let rep, let scheme):
                let r = rep.unicodeScalars.first
                t = t.enumerated().map { i, token in
                    var out = String.UnicodeScalarView()
                    for u in token.unicodeScalars {
                        if u == r {
                            if !(i == 0 && scheme != .never) { out.append(" ") }
                        } else {
                            out.append(u)
                        }
                    }
                    return String(out)
                }
            }
        }
        return t.joined()
    }

    /// The byte value of a `<0xXX>` token.
    static func byteValue(_ token: String) -> UInt8? {
        let u = Array(token.utf8)
        guard u.count == 6, u[0] == 0x3C, u[1] == 0x30, u[2] == 0x78, u[5] == 0x3E else { return nil }
        guard let hi = hexDigit(u[3]), let lo = hexDigit(u[4]) else { return nil }
        return hi << 4 | lo
    }

    private static func hexDigit(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }

    private static func byteFallback(_ tokens: [String]) -> [String] {
        var out: [String] = []
        var pending: [UInt8] = []
        func flush() {
            if pending.isEmpty { return }
            if let s = String(validating: pending, as: UTF8.self) {
                out.append(s)
            } else {
                out.append(contentsOf: repeatElement("\u{FFFD}", count: pending.count))
            }
            pending.removeAll()
        }
        for t in tokens {
            if let b = byteValue(t) {
                pending.append(b)
            } else {
                flush()
                out.append(t)
            }
        }
        flush()
        return out
    }

    /// Strips per Unicode scalar (Rust `chars()`), not per grapheme.
    private static func strip(_ token: String, _ c: Character, _ start: Int, _ stop: Int) -> String {
        guard let target = c.unicodeScalars.first, c.unicodeScalars.count == 1 else { return token }
        let scalars = Array(token.unicodeScalars)
        var lo = 0
        while lo < min(start, scalars.count) && scalars[lo] == target { lo += 1 }
        var hi = scalars.count
        var cut = 0
        while cut < stop && hi > lo && scalars[hi - 1] == target { hi -= 1; cut += 1 }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars[lo..<hi])
        return String(out)
    }
}
