/// A text's scalars with the character classes the byte-level regexes test, and the splits
/// themselves. Semantics follow llama.cpp's `unicode_regex_split` (its hand-written GPT-2
/// matcher, and std::regex over category-collapsed text for the others).
struct ScalarRun {
    static let letter: UInt8 = 1        // \p{L}
    static let number: UInt8 = 2        // \p{N}
    static let whitespace: UInt8 = 4    // \s (Unicode White_Space)
    static let punctuation: UInt8 = 8   // \p{P}

    let scalars: [UInt32]
    let classes: [UInt8]

    init(_ scalars: [UInt32]) {
        self.scalars = scalars
        self.classes = scalars.map(Self.classify)
    }

    private static let asciiClasses: [UInt8] = (0..<128).map { classifySlow(UInt32($0)) }

    static func classify(_ v: UInt32) -> UInt8 { v < 128 ? asciiClasses[Int(v)] : classifySlow(v) }

    private static func classifySlow(_ v: UInt32) -> UInt8 {
        guard let u = Unicode.Scalar(v) else { return 0 }
        var c: UInt8 = u.properties.isWhitespace ? whitespace : 0
        switch u.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            c |= letter
        case .decimalNumber, .letterNumber, .otherNumber:
            c |= number
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
            .initialPunctuation, .finalPunctuation, .otherPunctuation:
            c |= punctuation
        default:
            break
        }
        return c
    }

    /// Appends the pieces `split` cuts `piece` into (matches and the text between them).
    func split(_ piece: Range<Int>, by split: ByteLevelPreTokenizer.Split, into out: inout [Range<Int>]) {
        switch split {
        case .eachNumber:
            var start = piece.lowerBound
            for i in piece where classes[i] & Self.number != 0 {
                if start < i { out.append(start..<i) }
                out.append(i..<(i + 1))
                start = i + 1
            }
            if start < piece.upperBound { out.append(start..<piece.upperBound) }
        case .numberRuns:
            runs(piece, into: &out) { classes[$0] & Self.number != 0 }
        case .punctuationRuns:
            runs(piece, into: &out) { i in
                if classes[i] & Self.punctuation != 0 { return true }
                switch scalars[i] {
                case 0x24, 0x2B, 0x3C, 0x3D, 0x3E, 0x5E, 0x7E, 0x7C: return true  // $ + < = > ^ ~ |
                default: return false
                }
            }
        case .asciiDigitTriples:
            func digit(_ i: Int) -> Bool { (0x30...0x39).contains(scalars[i]) }
            var start = piece.lowerBound
            var i = piece.lowerBound
            while i + 3 <= piece.upperBound {
                guard digit(i) && digit(i + 1) && digit(i + 2) else { i += 1; continue }
                if start < i { out.append(start..<i) }
                out.append(i..<(i + 3))
                i += 3
                start = i
            }
            if start < piece.upperBound { out.append(start..<piece.upperBound) }
        case .gpt2:
            gpt2(piece, into: &out)
        }
    }

    /// Maximal runs of scalars for which `inRun` is true, and the runs between them.
    private func runs(_ piece: Range<Int>, into out: inout [Range<Int>], _ inRun: (Int) -> Bool) {
        var start = piece.lowerBound
        var i = piece.lowerBound
        while i < piece.upperBound {
            let kind = inRun(i)
            var j = i + 1
            while j < piece.upperBound && inRun(j) == kind { j += 1 }
            out.append(start..<j)
            start = j
            i = j
        }
    }

    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`, leftmost
    /// first. Positions past the piece's end count as no character at all.
    private func gpt2(_ piece: Range<Int>, into out: inout [Range<Int>]) {
        let end = piece.upperBound
        func has(_ i: Int, _ c: UInt8) -> Bool { i < end && classes[i] & c != 0 }
        func other(_ i: Int) -> Bool { i < end && classes[i] & (Self.letter | Self.number | Self.whitespace) == 0 }
        func at(_ i: Int) -> UInt32 { i < end ? scalars[i] : 0 }
        var pos = piece.lowerBound
        while pos < end {
            let start = pos
            defer { out.append(start..<pos) }
            let c = scalars[pos]
            if c == 0x27 {  // '
                switch at(pos + 1) {
                case 0x73, 0x74, 0x6D, 0x64:  // s t m d
                    pos += 2
                    continue
                case 0x72 where at(pos + 2) == 0x65, 0x76 where at(pos + 2) == 0x65, 0x6C where at(pos + 2) == 0x6C:  // re ve ll
                    pos += 3
                    continue
                default:
                    break
                }
            }
            let look = c == 0x20 ? pos + 1 : pos  // the optional leading space of the next three
            if has(look, Self.letter) {
                pos = look + 1
                while has(pos, Self.letter) { pos += 1 }
                continue
            }
            if has(look, Self.number) {
                pos = look + 1
                while has(pos, Self.number) { pos += 1 }
                continue
            }
            if other(look) {
                pos = look + 1
                while other(pos) { pos += 1 }
                continue
            }
            var n = 0
            while has(pos + n, Self.whitespace) { n += 1 }
            if n > 1 && pos + n < end {
                pos += n - 1  // \s+(?!\S): leave the last space to the next word
            } else {
                pos += max(n, 1)
            }
        }
    }
}
