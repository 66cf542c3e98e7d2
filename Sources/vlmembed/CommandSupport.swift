import ArgumentParser
import Kernels
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
            // A bad VLMEMBED_ISA or VLMEMBED_INT4_INPUTS is refused before any work starts
            // (kernels would otherwise use the best path this CPU has, and int16 inputs).
            _ = try KernelISA.resolve(environment: getenv("VLMEMBED_ISA").map { String(cString: $0) })
            _ = try Int4Inputs.resolve(environment: getenv("VLMEMBED_INT4_INPUTS").map { String(cString: $0) })
            try body()
        } catch let e as ExitCode {
            throw e
        } catch {
            printError("\(error)")
            throw ExitCode(2)
        }
    }

    static func printError(_ message: String) {
        let line = TerminalText.escaped(message.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: " "))
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

    /// Applies `--threads` (capped by `Parallel.setThreadCount`), warning when the count was changed.
    static func applyThreads(_ threads: Int?) {
        guard let threads else { return }
        let applied = Parallel.setThreadCount(threads)
        if applied != threads { logger.warning("--threads \(threads) capped to \(applied) (allowed: 1…\(Parallel.maxThreads))") }
    }

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

