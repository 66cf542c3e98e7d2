/// Makes text from files safe to print on a terminal: control characters (C0, DEL, C1) and the
/// Unicode bidirectional overrides are written as Swift escapes (`\u{1B}`), never sent raw, so a
/// tensor name or JSON key cannot move the cursor, recolour the terminal or hide text. Everything
/// else (including non-ASCII letters) is kept. Escaping is idempotent: escaped text has no
/// control characters left, and backslashes are not doubled.
public enum TerminalText {
    /// `text` with every control character escaped.
    public static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        for s in text.unicodeScalars {
            if needsEscape(s) {
                switch s {
                case "\n": out += "\\n"
                case "\t": out += "\\t"
                case "\r": out += "\\r"
                default: out += "\\u{" + String(s.value, radix: 16, uppercase: true) + "}"
                }
            } else {
                out.unicodeScalars.append(s)
            }
        }
        return out
    }

    static func needsEscape(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        return v < 0x20 || (v >= 0x7F && v <= 0x9F) || (v >= 0x202A && v <= 0x202E) || (v >= 0x2066 && v <= 0x2069)
            || v == 0x200E || v == 0x200F || v == 0x061C
    }
}
