import Testing
@testable import TensorFormats

/// Names and strings from files never reach the terminal raw: control characters are shown as
/// escapes in every `FormatError` message.
@Suite struct TerminalEscapingTests {
    @Test func escapeSequencesAreShownNotSent() throws {
        let e = FormatError("model.gguf", "tensor '\u{1b}[2J\u{1b}]0;pwned\u{07}' has a bad shape")
        #expect(!e.description.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F })
        #expect(e.description == "model.gguf: tensor '\\u{1B}[2J\\u{1B}]0;pwned\\u{7}' has a bad shape")
    }

    @Test func newlinesC1AndBidiOverridesAreEscaped() throws {
        #expect(TerminalText.escaped("a\nb\tc\r") == "a\\nb\\tc\\r")
        #expect(TerminalText.escaped("x\u{9B}y\u{202E}z") == "x\\u{9B}y\\u{202E}z")
        #expect(TerminalText.escaped("plain ▁text é") == "plain ▁text é")
    }

    @Test func escapingIsIdempotent() throws {
        let once = TerminalText.escaped("k\u{1b}[31m")
        #expect(TerminalText.escaped(once) == once)
    }
}
