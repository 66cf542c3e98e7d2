import Foundation
import Testing
import TensorFormats

/// One full eval of the smoke set, shared by the tests (its cache is copied, never written again).
struct WarmEval: Sendable {
    let cache: String
    let dump: String
    let json: String
    let stderr: String

    static let models = ["phi3_v": CLIRunner.fixtures + "/models/phi3_v", "llava_next": CLIRunner.fixtures + "/models/llava_next"]
    /// LLaVA at `low` (336²) rather than the upstream `high` (1344²) keeps the test short.
    static let settings = ["phi3_v": [String](), "llava_next": ["--image-resolution", "low"]]

    static let runs: [String: Result<WarmEval, any Error>] = Dictionary(uniqueKeysWithValues: ["phi3_v", "llava_next"].map { b in
        (b, Result { try WarmEval(backbone: b) })
    })

    static func of(_ backbone: String) throws -> WarmEval { try (runs[backbone] ?? .failure(FormatError(backbone, "no such backbone"))).get() }

    init(backbone: String) throws {
        let dir = try CLIRunner.temporaryDirectory()
        cache = dir + "/cache"
        dump = dir + "/dump.safetensors"
        let r = try CLIRunner.run(EvalCommandTests.eval(backbone) + ["--cache", cache, "--json", "--dump-embeddings", dump])
        guard r.status == 0 else { throw FormatError(backbone, "warm eval failed: \(r.stderr)") }
        json = r.stdout
        stderr = r.stderr
    }

    /// A private copy of the warm cache.
    func cacheCopy() throws -> String {
        let copy = try CLIRunner.temporaryDirectory() + "/cache"
        try FileManager.default.copyItem(atPath: cache, toPath: copy)
        return copy
    }
}

@Suite(.serialized) struct EvalCommandTests {
    static let smoke = CLIRunner.fixtures + "/eval_smoke"

    static func eval(_ backbone: String) -> [String] {
        ["eval", "--model", WarmEval.models[backbone] ?? "", "--data", smoke] + (WarmEval.settings[backbone] ?? [])
    }

    /// `cache: H cached, C computed` from the log.
    static func cacheCounts(_ stderr: String) -> (cached: Int, computed: Int)? {
        guard let line = stderr.split(separator: "\n").first(where: { $0.contains("cache: ") }),
              let tail = line.components(separatedBy: "cache: ").last else { return nil }
        let words = tail.split(separator: " ")
        guard words.count >= 4, let h = Int(words[0]), let c = Int(words[2]) else { return nil }
        return (h, c)
    }

    static func python(_ args: [String]) throws -> CLIRunner.Output {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", CLIRunner.repoRoot + "/Tools/eval/check_precision_at_1.py"] + args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return CLIRunner.Output(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    /// P@1 per dataset from `eval` equals numpy's, recomputed from the dumped embeddings and the data;
    /// and the checker does catch a wrong number.
    @Test(arguments: ["phi3_v", "llava_next"])
    func numpyRecomputesPrecisionAtOne(backbone: String) throws {
        let warm = try WarmEval.of(backbone)
        let dir = try CLIRunner.temporaryDirectory()
        try warm.json.write(toFile: dir + "/report.json", atomically: true, encoding: .utf8)
        let r = try Self.python(["--data", Self.smoke, "--dump", warm.dump, "--report", dir + "/report.json"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("all checks passed (3 datasets)"))
        #expect(Self.cacheCounts(warm.stderr).map { $0.cached == 0 && $0.computed == 145 } == true, "\(warm.stderr)")

        let json = try JSONParser.parse(warm.json)
        let p = try #require(json["datasets"]?["smoke_cls"]?["precision_at_1"]?.doubleValue)
        let tampered = warm.json.replacingOccurrences(of: #""smoke_cls":{"precision_at_1":\#(p)"#, with: #""smoke_cls":{"precision_at_1":\#(p + 0.04)"#)
        #expect(tampered != warm.json)
        try tampered.write(toFile: dir + "/tampered.json", atomically: true, encoding: .utf8)
        let bad = try Self.python(["--data", Self.smoke, "--dump", warm.dump, "--report", dir + "/tampered.json"])
        #expect(bad.status != 0 && bad.stderr.contains("MISMATCH smoke_cls P@1"), "\(bad.stdout)\(bad.stderr)")
    }

    /// Shards 0/3, 1/3, 2/3 merged give exactly the unsharded report, as JSON and as a table.
    @Test func shardsMergeToTheUnshardedReport() throws {
        let warm = try WarmEval.of("phi3_v")
        let cache = try warm.cacheCopy()
        let out = try CLIRunner.temporaryDirectory()
        for i in 0..<3 {
            let r = try CLIRunner.run(Self.eval("phi3_v") + ["--cache", cache, "--shard", "\(i)/3", "-o", out])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(Self.cacheCounts(r.stderr)?.computed == 0, "\(r.stderr)")
            #expect(FileManager.default.fileExists(atPath: out + "/eval-shard-\(i)-of-3.json"))
        }
        let merged = try CLIRunner.run(["eval", "--merge", out, "--json"])
        #expect(merged.status == 0, "\(merged.stderr)")
        #expect(merged.stdout == warm.json)
        let table = try CLIRunner.run(Self.eval("phi3_v") + ["--cache", cache])
        let mergedTable = try CLIRunner.run(["eval", "--merge", out + "/eval-shard-2-of-3.json", out + "/eval-shard-0-of-3.json", out + "/eval-shard-1-of-3.json"])
        #expect(mergedTable.status == 0 && mergedTable.stdout == table.stdout, "\(mergedTable.stdout)\n---\n\(table.stdout)")
        try FileManager.default.removeItem(atPath: out + "/eval-shard-1-of-3.json")
        let missing = try CLIRunner.run(["eval", "--merge", out])
        #expect(missing.status == 2 && missing.errorLines.first?.contains("missing shard 1/3") == true, "\(missing.stderr)")
    }

    /// A run killed mid-way resumes from its cache: the rerun embeds only what is missing and
    /// reports what an uninterrupted run reports.
    @Test func killedRunResumesFromItsCache() throws {
        let cache = try CLIRunner.temporaryDirectory() + "/cache"
        let args = Self.eval("phi3_v") + ["--cache", cache, "--datasets", "smoke_cls", "--json", "--threads", "1"]
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLIRunner.binary)
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        // Wait until at least 8 records (304 bytes each at width 64) are on disk, then SIGKILL.
        let deadline = Date().addingTimeInterval(120)
        func stored() -> Int {
            let folders = (try? FileManager.default.subpathsOfDirectory(atPath: cache)) ?? []
            return folders.filter { $0.hasSuffix(".vec") }.compactMap {
                (try? FileManager.default.attributesOfItem(atPath: cache + "/" + $0))?[.size] as? Int
            }.reduce(0, +)
        }
        while stored() < 8 * 304, p.isRunning, Date() < deadline { usleep(20_000) }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(p.terminationReason == .uncaughtSignal, "the run finished before it could be killed")

        let r = try CLIRunner.run(args)
        #expect(r.status == 0, "\(r.stderr)")
        let counts = try #require(Self.cacheCounts(r.stderr), "\(r.stderr)")
        #expect(counts.cached >= 8 && counts.computed > 0 && counts.cached + counts.computed == 45, "\(counts)")
        let resumed = try JSONParser.parse(r.stdout)
        let warm = try JSONParser.parse(try WarmEval.of("phi3_v").json)
        #expect(resumed["datasets"]?["smoke_cls"] == warm["datasets"]?["smoke_cls"])
        #expect(resumed["datasets"]?["smoke_cls"]?["queries"]?.intValue == 25)
    }

    /// `--compare`: both models side by side; P@1 of both and the changed-top-1 fractions match numpy.
    /// (The adapter-merged model stands in for a quantized bundle.)
    @Test func compareMatchesNumpy() throws {
        let warm = try WarmEval.of("phi3_v")
        let cache = try warm.cacheCopy()
        let dir = try CLIRunner.temporaryDirectory()
        let adapter = CLIRunner.fixtures + "/adapters/reference/phi3_v_adapter"
        let compare = Self.eval("phi3_v") + ["--cache", cache, "--compare", WarmEval.models["phi3_v"] ?? "", "--compare-adapter", adapter]
        let r = try CLIRunner.run(compare + ["--json", "--dump-embeddings", dir + "/dump.safetensors"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Self.cacheCounts(r.stderr).map { $0.cached == 145 && $0.computed == 145 } == true, "\(r.stderr)")
        try r.stdout.write(toFile: dir + "/report.json", atomically: true, encoding: .utf8)
        let check = try Self.python(["--data", Self.smoke, "--dump", dir + "/dump.safetensors", "--report", dir + "/report.json"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("ok overall top-1 changed"))
        let json = try JSONParser.parse(r.stdout)
        #expect(json["compare"]?["model"]?["identity"] != json["model"]?["identity"])
        #expect((json["compare"]?["changed_top1"]?.doubleValue ?? 0) > 0, "the adapter changes some top-1 choices")
        #expect(json["datasets"] == (try JSONParser.parse(warm.json))["datasets"], "model A's side is the plain run")

        let table = try CLIRunner.run(compare)
        #expect(table.status == 0)
        let lines = table.stdout.split(separator: "\n")
        #expect(lines.contains { $0.contains("top-1 changed") })
        for name in ["smoke_i2t", "smoke_t2i", "smoke_cls"] {
            let row = lines.first { $0.hasPrefix(name + " ") }
            #expect(row.map { $0.split(separator: " ").count } == 8, "\(table.stdout)")
        }
    }

    /// `--compare` of the f32 and int8 bundles of each tiny model: the per-dataset table, and P@1 of
    /// both plus the changed-top-1 fractions match numpy's recomputation from the dumped embeddings.
    @Test(arguments: ["phi3_v", "llava_next"])
    func compareF32AndInt8BundlesMatchesNumpy(backbone: String) throws {
        let dir = try CLIRunner.temporaryDirectory()
        for scheme in ["f32", "int8"] {
            let c = try CLIRunner.run(["convert", WarmEval.models[backbone] ?? "", "--quant", scheme, "--vision-quant", scheme, "-o", dir + "/\(scheme).vlmb"])
            #expect(c.status == 0, "\(c.stderr)")
        }
        let args = ["eval", "--model", dir + "/f32.vlmb", "--compare", dir + "/int8.vlmb", "--data", Self.smoke, "--cache", dir + "/cache"]
            + (WarmEval.settings[backbone] ?? [])
        let r = try CLIRunner.run(args + ["--json", "--dump-embeddings", dir + "/dump.safetensors"])
        #expect(r.status == 0, "\(r.stderr)")
        try r.stdout.write(toFile: dir + "/report.json", atomically: true, encoding: .utf8)
        let check = try Self.python(["--data", Self.smoke, "--dump", dir + "/dump.safetensors", "--report", dir + "/report.json"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("ok overall top-1 changed"))
        let json = try JSONParser.parse(r.stdout)
        #expect(json["compare"]?["model"]?["identity"] != json["model"]?["identity"])
        // The f32 bundle scores exactly as the source folder does (same embeddings up to rounding).
        let warm = try JSONParser.parse(try WarmEval.of(backbone).json)
        for name in ["smoke_i2t", "smoke_t2i", "smoke_cls"] {
            #expect(json["datasets"]?[name]?["precision_at_1"] == warm["datasets"]?[name]?["precision_at_1"], "\(name)")
        }
        let table = try CLIRunner.run(args)  // all cached now
        #expect(table.status == 0)
        #expect(table.stdout.contains("top-1 changed"), "\(table.stdout)")
        print("eval compare \(backbone) f32 vs int8: overall \(json["overall"]?.doubleValue ?? -1) vs \(json["compare"]?["overall"]?.doubleValue ?? -1), top-1 changed \(json["compare"]?["changed_top1"]?.doubleValue ?? -1)")
    }

    /// Bad rows name the dataset, line and reason; `--keep-going` skips and counts them.
    @Test func badInputIsReportedWithDatasetLineAndReason() throws {
        let dir = try CLIRunner.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir + "/images", withIntermediateDirectories: true)
        let photo = try Data(contentsOf: URL(fileURLWithPath: Self.smoke + "/images/coffee.jpg"))
        try photo.prefix(300).write(to: URL(fileURLWithPath: dir + "/images/truncated.jpg"))
        try #"{"bad": {"meta_task": "retrieval", "split": "OOD"}}"#.write(toFile: dir + "/datasets.json", atomically: true, encoding: .utf8)
        let rows = [
            #"{"qry_text": "find a cup", "qry_img_path": "", "tgt_text": ["a cup", "a cat"], "tgt_img_path": ["", ""]}"#,
            #"{"qry_text": "oops"#,
            #"{"qry_text": "nothing to pick", "qry_img_path": "", "tgt_text": [], "tgt_img_path": []}"#,
            #"{"qry_text": "<|image_1|>\nRepresent the given image.\n", "qry_img_path": "absent.jpg", "tgt_text": ["a"]}"#,
            #"{"qry_text": "<|image_1|>\nRepresent the given image.\n", "qry_img_path": "truncated.jpg", "tgt_text": ["a", "b"]}"#,
            #"{"qry_text": "find a cat", "tgt_text": ["a cat", "a cup"]}"#,
        ]
        try (rows.joined(separator: "\n") + "\n").write(toFile: dir + "/bad.jsonl", atomically: true, encoding: .utf8)
        let base = ["eval", "--model", WarmEval.models["phi3_v"] ?? "", "--data", dir, "--no-cache"]

        let strict = try CLIRunner.run(base)
        #expect(strict.status == 2)
        #expect(strict.errorLines.count == 1 && strict.errorLines[0].contains("bad.jsonl:2: dataset bad: malformed JSON"), "\(strict.stderr)")
        #expect(strict.stdout.isEmpty)

        let lenient = try CLIRunner.run(base + ["--keep-going", "--json"])
        #expect(lenient.status == 2)
        let errors = lenient.errorLines
        #expect(errors.count == 4, "\(lenient.stderr)")
        let expected = [(2, "malformed JSON"), (3, "row has no candidates"), (4, "image 'absent.jpg' not found"), (5, "query: cannot embed")]
        for (line, reason) in expected {
            #expect(errors.contains { $0.contains("bad.jsonl:\(line): dataset bad: \(reason)") }, "line \(line): \(lenient.stderr)")
        }
        let json = try JSONParser.parse(lenient.stdout)
        #expect(json["datasets"]?["bad"]?["queries"]?.intValue == 2)
        #expect(json["datasets"]?["bad"]?["skipped"]?.intValue == 4)
    }
}
