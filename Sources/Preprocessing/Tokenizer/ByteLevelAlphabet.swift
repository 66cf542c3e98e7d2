/// GPT-2's byte-level alphabet: every byte value stands for one printable Unicode scalar, so a
/// byte-level BPE vocabulary spells arbitrary bytes as ordinary text.
///
/// Bytes `!`…`~`, `¡`…`¬` and `®`…`ÿ` stand for themselves; the other 68 byte values, in
/// increasing order, stand for U+0100, U+0101, … (space 0x20 becomes `Ġ` U+0120, newline `Ċ`).
enum ByteLevelAlphabet {
    /// The scalar value each byte stands for.
    static let scalarOfByte: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            if (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b) {
                table[b] = UInt32(b)
            } else {
                table[b] = next
                next += 1
            }
        }
        return table
    }()

    /// The UTF-8 spelling of each byte's scalar (1 or 2 bytes).
    static let utf8OfByte: [[UInt8]] = scalarOfByte.map { v in
        v < 0x80 ? [UInt8(v)] : [UInt8(0xC0 | (v >> 6)), UInt8(0x80 | (v & 0x3F))]
    }

    /// The byte each alphabet scalar stands for, indexed by scalar value (< 0x144); −1 elsewhere.
    static let byteOfScalar: [Int16] = {
        var table = [Int16](repeating: -1, count: 0x144)
        for (b, v) in scalarOfByte.enumerated() { table[Int(v)] = Int16(b) }
        return table
    }()

    /// Appends the alphabet spelling (UTF-8) of `bytes` to `out`.
    static func encode(_ bytes: ArraySlice<UInt8>, into out: inout [UInt8]) {
        for b in bytes { out.append(contentsOf: utf8OfByte[Int(b)]) }
    }

    /// The bytes a token spells, or nil when it holds a scalar outside the alphabet
    /// (such a token, e.g. an added token with a space, stands for its own UTF-8).
    static func bytes(of token: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(token.utf8.count)
        for u in token.unicodeScalars {
            guard Int(u.value) < byteOfScalar.count else { return nil }
            let b = byteOfScalar[Int(u.value)]
            guard b >= 0 else { return nil }
            out.append(UInt8(b))
        }
        return out
    }

    /// HF's `ByteLevel` decoder: every token back to its bytes (its own UTF-8 when it is not
    /// spelled in the alphabet), all concatenated and read as UTF-8, invalid sequences as U+FFFD.
    static func decode(_ tokens: [String]) -> String {
        var bytes: [UInt8] = []
        for t in tokens { bytes.append(contentsOf: Self.bytes(of: t) ?? Array(t.utf8)) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
