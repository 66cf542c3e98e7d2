import ArgumentParser
import Bundle
import Runtime
import Evaluation
import Foundation
import Kernels
import ModelGraph
import Models
import Preprocessing
import TensorFormats

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The whole pipeline on the tiny Phi-3.5-V model in Fixtures/: convert (with its DoRA adapter) to int8 and int4, verify both, embed two images and two captions.",
        discussion: "Exit code 0 when the int8 bundle verifies (random-weight tiny models lose far more at int4 than real checkpoints, so int4 is reported, not gated)."
    )

    @Option(help: "The Fixtures folder (default: ./Fixtures, else the one beside the build folder).")
    var fixtures: String?

    @Option(help: "Where to write the bundles (default: a temporary folder, removed afterwards).")
    var workDir: String?

    func run() throws {
        var int8Passed = false
        try CLI.run {
            let root = try fixturesRoot()
            let model = root + "/models/phi3_v", adapter = root + "/adapters/reference/phi3_v_adapter"
            let work = workDir ?? NSTemporaryDirectory() + "vlmembed-demo-\(getpid())"
            try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
            defer { if workDir == nil { try? FileManager.default.removeItem(atPath: work) } }

            let (graph, merges) = try ModelSource.openEmbeddingGraph(model, adapter: adapter)
            CLI.output("model    \(model) (phi3_v) + DoRA adapter \(adapter): \(merges.count) modules merged")
            var reports: [(String, VerificationReport)] = []
            for (label, plan) in [("int8", QuantizationPlan(decoder: .int8)), ("int4", QuantizationPlan(decoder: .int4(group: 32, asymmetric: false)))] {
                let path = work + "/phi3_v-\(label).vlmb"
                try BundleWriter(plan: plan, adapterPath: adapter, mergedModules: merges.count).write(graph, to: path)
                let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
                CLI.output("convert  → \(path) (\(ProgressBar.bytes(size)), decoder \(plan.decoder.name), vision \(plan.vision.name))")
                let report = try BundleVerifier().run(bundle: path, reference: model, adapter: adapter)
                reports.append((label, report))
                CLI.output(String(format: "verify   %@: checksums %@, worst cosine %.6f (min %.3f), median %.6f, top-1 agreement %.0f%% → %@",
                                  label, report.checksumFailures.isEmpty ? "ok" : "FAILED", report.worstCosine, report.minCosine,
                                  median(report.probes.map { $0.cosine }), report.top1Agreement * 100,
                                  label == "int8" ? (report.passed ? "PASS" : "FAIL") : "reported, not gated (tiny random weights lose far more at int4 than real checkpoints)"))
            }
            int8Passed = reports.first?.1.passed ?? false

            let requests = try RequestFile.read(root + "/demo/requests.jsonl")
            let engine = try EmbeddingEngine.open(ModelSpec(path: work + "/phi3_v-int8.vlmb"))
            let embeddings = try requests.map { try engine.embed(EmbeddingInput($0)).vector }
            CLI.output("\nembed    \(requests.count) requests with the int8 bundle; cosine similarity:")
            let width = 16
            CLI.output("".padding(toLength: width, withPad: " ", startingAt: 0) + requests.map { String($0.id.prefix(width - 1)).padding(toLength: width, withPad: " ", startingAt: 0) }.joined())
            for (i, r) in requests.enumerated() {
                let row = embeddings.map { String(format: "%-\(width).4f", VectorMath.cosine(embeddings[i], $0)) }.joined()
                CLI.output(String(r.id.prefix(width - 1)).padding(toLength: width, withPad: " ", startingAt: 0) + row)
            }
            CLI.output("\n(random-weight tiny model: the similarities show the pipeline runs, not what a trained model would rank)")
            CLI.output(int8Passed ? "demo: PASS (int8 bundle verified)" : "demo: FAIL (int8 bundle did not verify)")
        }
        if !int8Passed { throw ExitCode(1) }
    }

    private func fixturesRoot() throws -> String {
        if let fixtures { return fixtures }
        let candidates = [FileManager.default.currentDirectoryPath + "/Fixtures",
                          URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
                              .deletingLastPathComponent().appendingPathComponent("../../../Fixtures").standardized.path]
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0 + "/models/phi3_v/config.json") }) else {
            throw FormatError("Fixtures", "cannot find the tiny model (looked in \(candidates.joined(separator: ", "))); pass --fixtures DIR")
        }
        return found
    }

    private func median(_ v: [Double]) -> Double {
        let s = v.sorted()
        return s.isEmpty ? 0 : (s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2)
    }
}
