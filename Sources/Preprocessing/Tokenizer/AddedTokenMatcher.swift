/// A token matched literally in the text before normalization and BPE
/// (HF `added_tokens`; SentencePiece control / user-defined pieces).
public struct AddedToken: Sendable, Equatable {
    /// The literal text.
    public var content: String
    /// Its id.
    public var id: Int
    /// Special tokens are dropped by `decode(_:skipSpecialTokens: true)`.
    public var special: Bool
    /// Also consume the whitespace just left of a match.
    public var lstrip: Bool
    /// Also consume the whitespace just right of a match.
    public var rstrip: Bool
    /// Only match when not inside a word (no alphanumeric character touching either side).
    public var singleWord: Bool
    /// Match on the normalized text instead of the raw text.
    public var normalized: Bool

    public init(
        content: String, id: Int, special: Bool = true, lstrip: Bool = false, rstrip: Bool = false,
        singleWord: Bool = false, normalized: Bool = false
    ) {
        self.content = content
        self.id = id
        self.special = special
        self.lstrip = lstrip
        self.rstrip = rstrip
        self.singleWord = singleWord
        self.normalized = normalized
    }
}

/// Splits text into added-token matches and the text between them, the way HF's
/// `AddedVocabulary` does: leftmost-longest non-overlapping matches, then `single_word`
/// filtering and `lstrip`/`rstrip` widening of each match over adjacent whitespace.
struct AddedTokenMatcher: Sendable {
    /// A piece of the input: an added token id, or a run of plain text.
    enum Piece: Equatable {
        case token(Int32, Range<Int>)
        case text(Range<Int>)
    }

    private struct Pattern: Sendable {
        var bytes: [UInt8]
        var token: AddedToken
    }

    /// Patterns by first byte, longest first.
    private var byFirstByte: [[Pattern]] = Array(repeating: [], count: 256)
    private(set) var isEmpty = true

    /// Builds a matcher; `spelling` gives the text to match for each token (its content, or the
    /// normalized content for normalized tokens).
    init(_ tokens: [AddedToken], spelling: (AddedToken) -> [UInt8]) {
        for t in tokens {
            let bytes = spelling(t)
            guard let first = bytes.first else { continue }
            byFirstByte[Int(first)].append(Pattern(bytes: bytes, token: t))
            isEmpty = false
        }
        for i in 0..<256 where byFirstByte[i].count > 1 {
            byFirstByte[i].sort { $0.bytes.count > $1.bytes.count }
        }
    }

    /// Splits `s` into pieces. Text pieces are never empty.
    func split(_ s: [UInt8]) -> [Piece] {
        if isEmpty { return s.isEmpty ? [] : [.text(0..<s.count)] }
        var pieces: [Piece] = []
        var textStart = 0
        var i = 0
        let n = s.count
        while i < n {
            var found: Pattern?
            for p in byFirstByte[Int(s[i])] where i + p.bytes.count <= n {
                if s[i..<(i + p.bytes.count)].elementsEqual(p.bytes) { found = p; break }
            }
            guard let p = found else { i += 1; continue }
            var start = i
            var stop = i + p.bytes.count
            i = stop
            let t = p.token
            if t.singleWord {
                let leftOK = start == 0 || !Self.isWordScalar(Self.scalar(endingAt: start, in: s))
                let rightOK = stop == n || !Self.isWordScalar(UTF8Scalars.decode(s, at: stop).0)
                if !(leftOK && rightOK) { continue }
            }
            if t.lstrip {
                var k = start
                while k > textStart {
                    let b = UTF8Scalars.startOfScalar(before: k, in: s)
                    if !Self.isWhitespace(UTF8Scalars.decode(s, at: b).0) { break }
                    k = b
                }
                start = max(k, textStart)
            }
            if t.rstrip {
                while stop < n {
                    let (v, len) = UTF8Scalars.decode(s, at: stop)
                    if !Self.isWhitespace(v) { break }
                    stop += len
                }
                i = stop
            }
            if textStart < start { pieces.append(.text(textStart..<start)) }
            pieces.append(.token(Int32(t.id), start..<stop))
            textStart = stop
        }
        if textStart < n { pieces.append(.text(textStart..<n)) }
        return pieces
    }

    private static func scalar(endingAt end: Int, in s: [UInt8]) -> UInt32 {
        UTF8Scalars.decode(s, at: UTF8Scalars.startOfScalar(before: end, in: s)).0
    }

    /// Rust `char::is_whitespace` (Unicode White_Space).
    static func isWhitespace(_ v: UInt32) -> Bool {
        guard let u = Unicode.Scalar(v) else { return false }
        return u.properties.isWhitespace
    }

    /// Rust `char::is_alphanumeric` (Alphabetic or a general category N*).
    static func isWordScalar(_ v: UInt32) -> Bool {
        guard let u = Unicode.Scalar(v) else { return false }
        if u.properties.isAlphabetic { return true }
        switch u.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }
}
