import ArgumentParser
import Foundation
import Logging
import TensorFormats
#if canImport(Glibc)
import Glibc
#endif

/// Shared behaviour of every subcommand: logging to stderr, and one-line errors with exit code 2.
enum CLI {
    /// Runs `body`; any error becomes `vlmembed: error: <one line>` on stderr and exit code 2.
    static func run(_ body: () throws -> Void) throws {
        bootstrapLogging()
        // A file-size limit (ulimit -f) then fails the write with EFBIG, reported like a full disk,
        // instead of killing the process mid-file.
        signal(SIGXFSZ, SIG_IGN)
        do {
            try body()
        } catch let e as ExitCode {
            throw e
        } catch {
            printError("\(error)")
            throw ExitCode(2)
        }
    }

    static func printError(_ message: String) {
        let line = message.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: " ")
        writeStderr("vlmembed: error: \(line)\n")
    }

    /// Writes text to file descriptor 2, unbuffered.
    static func writeStderr(_ text: String) {
        var t = text
        t.withUTF8 { buf in _ = write(2, buf.baseAddress, buf.count) }
    }

    nonisolated(unsafe) private static var loggingReady = false

    static func bootstrapLogging() {
        guard !loggingReady else { return }
        loggingReady = true
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = .info
            return h
        }
    }

    static let logger = Logger(label: "vlmembed")

    /// Whether stderr is a terminal (progress bars are drawn only then).
    static var stderrIsTerminal: Bool { isatty(2) != 0 }

    /// Writes a text to stdout followed by a newline.
    static func output(_ text: String) {
        print(text)
    }
}

/// Draws `label done/total` on stderr when it is a terminal; silent otherwise.
struct ProgressLine {
    let label: String
    let enabled = CLI.stderrIsTerminal

    func update(_ done: Int, _ total: Int) {
        guard enabled else { return }
        CLI.writeStderr("\r\(label) \(done)/\(total)")
        if done == total { CLI.writeStderr("\n") }
    }
}

/// A byte progress bar with rate and ETA on stderr when it is a terminal; silent otherwise.
final class ByteProgressBar {
    let label: String
    let enabled = CLI.stderrIsTerminal
    private let started = MonotonicClock.now
    private var lastDraw = 0.0

    init(label: String) { self.label = label }

    func update(done: Int, total: Int, detail: String) {
        guard enabled else { return }
        let now = MonotonicClock.now
        guard now - lastDraw > 0.1 || done == total else { return }
        lastDraw = now
        let fraction = total > 0 ? Double(done) / Double(total) : 1
        let width = 30, filled = Int(fraction * Double(width))
        let elapsed = now - started
        let eta = fraction > 0.001 ? elapsed * (1 - fraction) / fraction : 0
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let text = String(format: "%@ [%@] %3.0f%% %@/%@ ETA %.0fs %@", label, bar, fraction * 100, Self.bytes(done), Self.bytes(total), eta, String(detail.suffix(40)))
        CLI.writeStderr("\r\u{1B}[K" + text)
    }

    func finish() { if enabled { CLI.writeStderr("\r\u{1B}[K") } }

    static func bytes(_ n: Int) -> String {
        let d = Double(n)
        if d >= 1e9 { return String(format: "%.2f GB", d / 1e9) }
        if d >= 1e6 { return String(format: "%.1f MB", d / 1e6) }
        return String(format: "%.0f kB", d / 1e3)
    }
}

/// Seconds on a monotonic clock.
enum MonotonicClock {
    static var now: Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}
