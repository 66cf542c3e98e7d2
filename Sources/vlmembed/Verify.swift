import ArgumentParser
import Evaluation
import Kernels
import Preprocessing
import Runtime
import TensorFormats

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a bundle: every checksum, then probes embedded by the bundle and by the fp32 reference.",
        discussion: """
        Prints per-probe cosine, max abs error, the first traced tensor that drifts by more than 1% and whether each \
        bundle embedding's nearest reference embedding is its own. Exit code 0 when every check passes, 1 when one fails, \
        2 for bad input. --min-cosine defaults by scheme: f32 0.99999, f16/bf16 0.999, int8 0.995, int4 0.95 (the lowest of \
        the bundle's decoder and vision schemes).
        """
    )

    @Argument(help: "The bundle (.vlmb).")
    var bundle: String

    @Option(help: "The source it was converted from (model folder).")
    var reference: String

    @Option(help: "The adapter folder it was converted with, if any.")
    var adapter: String?

    @Option(help: "With a GGUF reference: its clip mmproj GGUF.")
    var mmproj: String?

    @Option(help: "Requests (JSON lines) to use instead of the built-in probes.")
    var input: String?

    @Option(help: "Fail when any probe's cosine is below this.")
    var minCosine: Double?

    @Flag(help: "Print one JSON object.")
    var json = false

    @Option(help: "Threads (default: all cores).")
    var threads: Int?

    func run() throws {
        var passed = false
        try CLI.run {
            CLI.applyThreads(threads)
            let requests = try input.map { try RequestFile.read($0) }
            let report = try BundleVerifier(minCosine: minCosine).run(bundle: bundle, reference: reference, adapter: adapter, mmproj: mmproj, requests: requests) { line in
                if CLI.stderrIsTerminal { CLI.writeStderr("\r\u{1B}[K" + line) }
            }
            if CLI.stderrIsTerminal { CLI.writeStderr("\r\u{1B}[K") }
            CLI.output(json ? report.json.serialized() : report.text)
            passed = report.passed
        }
        if !passed { throw ExitCode(1) }
    }
}
