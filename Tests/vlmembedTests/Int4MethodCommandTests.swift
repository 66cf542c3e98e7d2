import Foundation
import Testing
import TensorFormats

/// `convert --method search|importance`: the method is recorded in the bundle, the bundle keeps
/// closer to fp32 than round to nearest on the tiny reference model, calibration is
/// deterministic (same bytes at 1 and 2 threads, and from a saved importance file), and bad
/// calibration input is a one-line error with exit 2 and nothing written.
@Suite(.serialized) struct Int4MethodCommandTests {
    static let phi = CLIRunner.fixtures + "/models/phi3_v"
    static let calibration = CLIRunner.fixtures + "/calibration/requests.jsonl"

    static func verifyCosines(_ bundle: String) throws -> [Double] {
        let r = try CLIRunner.run(["verify", bundle, "--reference", Self.phi, "--json", "--min-cosine", "0"])
        #expect(r.status == 0, "\(r.stderr)")
        let report = try Array(r.stdout.utf8).withUnsafeBytes { try JSONParser.parse($0) }
        return (report["probes"]?.arrayValue ?? []).compactMap { $0["cosine"]?.doubleValue }
    }

    static func method(_ bundle: String) throws -> String? { try bundleQuantizationSetting(bundle, "int4_method") }

    @Test func methodsAreRecordedAndCloserToFP32ThanRoundToNearest() throws {
        let dir = try CLIRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var meanDistance: [String: Double] = [:]
        for method in ["rtn", "search", "importance", "gptq"] {
            let out = dir + "/\(method).vlmb"
            let c = try CLIRunner.run(["convert", Self.phi, "--quant", "int4", "--group-size", "32", "--method", method, "-o", out])
            #expect(c.status == 0, "\(c.stderr)")
            #expect(try Self.method(out) == method)
            let cosines = try Self.verifyCosines(out)
            try #require(!cosines.isEmpty)
            meanDistance[method] = cosines.map { 1 - $0 }.reduce(0, +) / Double(cosines.count)
        }
        print("INT4-METHODS phi3_v mean(1 - cosine): \(meanDistance.sorted { $0.key < $1.key })")
        let rtn = try #require(meanDistance["rtn"]), search = try #require(meanDistance["search"]), importance = try #require(meanDistance["importance"])
        #expect(search < rtn, "search \(search) vs rtn \(rtn)")
        #expect(importance < rtn, "importance \(importance) vs rtn \(rtn)")
        let gptq = try #require(meanDistance["gptq"])
        #expect(gptq < importance, "gptq \(gptq) vs importance \(importance)")
    }

    @Test func calibrationIsDeterministicAndReusable() throws {
        let dir = try CLIRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let base = ["convert", Self.phi, "--quant", "int4", "--group-size", "32", "--method", "importance"]
        let one = dir + "/t1.vlmb", two = dir + "/t2.vlmb", reused = dir + "/reused.vlmb", saved = dir + "/importance.safetensors"
        let c1 = try CLIRunner.run(base + ["--calibration", Self.calibration, "--threads", "1", "--save-importance", saved, "-o", one])
        #expect(c1.status == 0, "\(c1.stderr)")
        let c2 = try CLIRunner.run(base + ["--calibration", Self.calibration, "--threads", "2", "-o", two])
        #expect(c2.status == 0, "\(c2.stderr)")
        let c3 = try CLIRunner.run(base + ["--importance", saved, "-o", reused])
        #expect(c3.status == 0, "\(c3.stderr)")
        let a = try Data(contentsOf: URL(fileURLWithPath: one)), b = try Data(contentsOf: URL(fileURLWithPath: two))
        let r = try Data(contentsOf: URL(fileURLWithPath: reused))
        #expect(a == b, "1 and 2 threads give different bundles")
        #expect(a == r, "the saved importance gives a different bundle")
        // GPTQ (second moments from the same forwards, one-thread arithmetic) is deterministic too.
        let g1 = dir + "/g1.vlmb", g2 = dir + "/g2.vlmb"
        let gptq = ["convert", Self.phi, "--quant", "int4", "--group-size", "32", "--method", "gptq", "--calibration", Self.calibration]
        #expect(try CLIRunner.run(gptq + ["--threads", "1", "-o", g1]).status == 0)
        #expect(try CLIRunner.run(gptq + ["--threads", "2", "-o", g2]).status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: g1)) == Data(contentsOf: URL(fileURLWithPath: g2)), "gptq at 1 and 2 threads")
        let noMoments = try CLIRunner.run(["convert", Self.phi, "--quant", "int4", "--method", "gptq", "--importance", saved, "-o", dir + "/x.vlmb"])
        #expect(noMoments.status != 0 && noMoments.stderr.contains("second moments"), "\(noMoments.stderr)")
        // The importance file names every decoder linear (and the vision ones the images reached).
        let importance = try SafetensorsFile(path: saved)
        #expect(importance.tensors.contains { $0.name == "decoder.layers.0.self_attn.qkv_proj.weight" })
        #expect(importance.tensors.contains { $0.name == "decoder.layers.0.mlp.down_proj.weight" })
        #expect(importance.tensors.contains { $0.name.hasPrefix("vision.encoder.layers.0.") })
    }

    @Test func badCalibrationInputIsOneLineExitTwoAndNothingWritten() throws {
        let dir = try CLIRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/out.vlmb"
        let empty = dir + "/empty.jsonl", missing = dir + "/missing.jsonl", long = dir + "/long.jsonl", wrong = dir + "/wrong.safetensors"
        try "".write(toFile: empty, atomically: true, encoding: .utf8)
        try #"{"id": "m", "text": "<|image_1|> Represent the given image.", "images": ["nowhere.jpg"]}"#.write(toFile: missing, atomically: true, encoding: .utf8)
        let words = Array(repeating: "lorem ipsum dolor", count: 3000).joined(separator: " ")
        try #"{"id": "long", "text": "\#(words)"}"#.write(toFile: long, atomically: true, encoding: .utf8)
        try #"{"id": "x", "text": "hi"}"#.write(toFile: wrong, atomically: true, encoding: .utf8)
        let base = ["convert", Self.phi, "--quant", "int4", "--method", "importance", "-o", out]
        for (args, needle) in [(["--calibration", empty], "no calibration requests"), (["--calibration", missing], "nowhere.jpg"),
                               (["--calibration", long], "long"), (["--importance", wrong], "wrong.safetensors"),
                               (["--calibration", dir + "/absent.jsonl"], "absent.jsonl")] {
            let r = try CLIRunner.run(base + args)
            #expect(r.status == 2, "\(args): exit \(r.status), \(r.stderr)")
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.count == 1 && r.stderr.contains(needle), "\(args): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out), "\(args): an output was written")
        }
        // Calibration flags without the method that uses them.
        let r = try CLIRunner.run(["convert", Self.phi, "--quant", "int4", "--calibration", Self.calibration, "-o", out])
        #expect(r.status != 0 && r.stderr.contains("--method importance"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}
