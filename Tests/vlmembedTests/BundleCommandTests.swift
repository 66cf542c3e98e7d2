import Foundation
import Testing
import TensorFormats

/// `convert`, `verify`, `inspect` and `embed` on bundles, end to end through the binary, and the
/// write faults: a killed convert leaves nothing at the output path, a full disk (file-size limit)
/// gives one clear error and no output.
@Suite struct BundleCommandTests {
    static let phi = CLIRunner.fixtures + "/models/phi3_v"
    static let phiAdapter = CLIRunner.fixtures + "/adapters/reference/phi3_v_adapter"

    func leftovers(_ dir: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains("vlmembed-tmp") }
    }

    @Test func convertVerifyAndEmbedFromTheBundleAlone() throws {
        let dir = try CLIRunner.temporaryDirectory()
        // A private copy of the source, removed before embedding: the bundle must be self-sufficient.
        let source = dir + "/source"
        try FileManager.default.copyItem(atPath: Self.phi, toPath: source)
        let bundle = dir + "/phi-int8.vlmb"
        let c = try CLIRunner.run(["convert", source, "--adapter", Self.phiAdapter, "--quant", "int8", "-o", bundle])
        #expect(c.status == 0, "\(c.stderr)")
        let v = try CLIRunner.run(["verify", bundle, "--reference", source, "--adapter", Self.phiAdapter, "--json"])
        #expect(v.status == 0, "\(v.stdout) \(v.stderr)")
        let report = try Array(v.stdout.utf8).withUnsafeBytes { try JSONParser.parse($0) }
        #expect(report["passed"]?.boolValue == true)
        #expect(report["checksums_ok"]?.boolValue == true)
        let probes = report["probes"]?.arrayValue ?? []
        #expect(probes.count == 8)
        #expect(Set(probes.compactMap { $0["kind"]?.stringValue }) == ["text", "image", "text+image"])
        for p in probes { #expect((p["cosine"]?.doubleValue ?? 0) >= 0.995, "\(p.serialized())") }

        let i = try CLIRunner.run(["inspect", bundle, "--json"])
        #expect(i.status == 0, "\(i.stderr)")
        let info = try Array(i.stdout.utf8).withUnsafeBytes { try JSONParser.parse($0) }
        #expect(info["format"]?.stringValue == "vlmb")
        #expect(info["quantization"]?["decoder"]?.stringValue == "int8")

        try #"{"id": "t", "text": "Find me an everyday image that matches the given caption: a cat"}"#.write(toFile: dir + "/r.jsonl", atomically: true, encoding: .utf8)
        let own = try CLIRunner.run(["verify", bundle, "--reference", source, "--adapter", Self.phiAdapter, "--input", dir + "/r.jsonl", "--json"])
        #expect(own.status == 0, "\(own.stdout) \(own.stderr)")
        let ownReport = try Array(own.stdout.utf8).withUnsafeBytes { try JSONParser.parse($0) }
        #expect(ownReport["probes"]?.arrayValue?.map { $0["id"]?.stringValue } == ["t"])
        // A threshold no int8 bundle can meet fails the run with exit code 1.
        let strict = try CLIRunner.run(["verify", bundle, "--reference", source, "--adapter", Self.phiAdapter, "--min-cosine", "0.9999999"])
        #expect(strict.status == 1, "\(strict.stdout)")

        try FileManager.default.removeItem(atPath: source)
        let e = try CLIRunner.run(["embed", "--model", bundle, "--input", dir + "/r.jsonl", "-o", dir + "/out.safetensors"])
        #expect(e.status == 0, "\(e.stderr)")
        let embedding = try SafetensorsFile(path: dir + "/out.safetensors").floats(named: "embeddings")
        #expect(embedding.count == 64)
        #expect(abs(embedding.reduce(0) { $0 + $1 * $1 } - 1) < 1e-5)
        let t = try CLIRunner.run(["tokenize", "--model", bundle, "--text", "a cat", "--json"])
        #expect(t.status == 0, "\(t.stderr)")
    }

    @Test func verifyFailsNamingAFlippedTensor() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let bundle = dir + "/b.vlmb"
        #expect(try CLIRunner.run(["convert", Self.phi, "--quant", "int8", "-o", bundle]).status == 0)
        let info = try Array(try CLIRunner.run(["inspect", bundle, "--json"]).stdout.utf8).withUnsafeBytes { try JSONParser.parse($0) }
        #expect(info["tensors"]?.arrayValue?.isEmpty == false)
        // Flip one byte in the middle of the data section.
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: bundle)))
        let at = bytes.count - bytes.count / 3
        bytes[at] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: bundle))
        let v = try CLIRunner.run(["verify", bundle, "--reference", Self.phi])
        #expect(v.status == 1, "\(v.stdout) \(v.stderr)")
        #expect(v.stdout.contains("checksums  FAILED: tensor '"), "\(v.stdout)")
        #expect(v.stdout.contains("FAIL"))
    }

    @Test func badSchemeAndAdapterOnBundleAreOneLineErrors() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let r = try CLIRunner.run(["convert", Self.phi, "--quant", "int3", "-o", dir + "/x.vlmb"])
        #expect(r.status != 0)
        #expect(!FileManager.default.fileExists(atPath: dir + "/x.vlmb"))
        let g = try CLIRunner.run(["convert", Self.phi, "--quant", "int4", "--group-size", "48", "-o", dir + "/x.vlmb"])
        #expect(g.status != 0)
        #expect(g.stderr.contains("group-size"))
        let notBundle = dir + "/fake.vlmb"
        try "hello".write(toFile: notBundle, atomically: true, encoding: .utf8)
        let e = try CLIRunner.run(["inspect", notBundle])
        #expect(e.status == 2)
        #expect(e.errorLines.count == 1 && e.errorLines[0].contains(notBundle), "\(e.stderr)")
    }

    @Test func fullDiskGivesOneErrorAndNoOutput() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let out = dir + "/full.vlmb"
        // A 1 MB file-size limit stands in for a full disk: the f32 bundle is ~18 MB.
        let r = try CLIRunner.run(["-c", "ulimit -f 2048 && exec \"$0\" convert \"$1\" --quant f32 -o \"$2\"", CLIRunner.binary, Self.phi, out],
                                  executable: "/bin/sh")
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.errorLines.count == 1 && r.errorLines[0].contains(out) && r.errorLines[0].contains("File too large"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
        #expect(try leftovers(dir).isEmpty)
    }

    @Test func killedConvertLeavesNothingAndTheNextRunCleansUp() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let source = dir + "/large"
        try LargeCheckpoint.write(to: source)
        let out = dir + "/big.vlmb"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLIRunner.binary)
        p.arguments = ["convert", source, "--quant", "int4", "--threads", "1", "-o", out]
        p.standardError = FileHandle.nullDevice
        try p.run()
        // Kill it as soon as its temporary output has data.
        var killedMidWrite = false
        for _ in 0..<4000 {
            if let tmp = try leftovers(dir).first,
               let size = try? FileManager.default.attributesOfItem(atPath: dir + "/" + tmp)[.size] as? Int, size > 1 << 20 {
                kill(p.processIdentifier, SIGKILL)
                killedMidWrite = true
                break
            }
            if !p.isRunning { break }
            usleep(2000)
        }
        p.waitUntilExit()
        #expect(killedMidWrite, "convert finished before it could be killed")
        #expect(p.terminationReason == .uncaughtSignal)
        #expect(!FileManager.default.fileExists(atPath: out))
        #expect(try leftovers(dir).count == 1)
        let again = try CLIRunner.run(["convert", source, "--quant", "int8", "-o", out])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(FileManager.default.fileExists(atPath: out))
        #expect(try leftovers(dir).isEmpty, "stale temporary not cleaned")
        try? FileManager.default.removeItem(atPath: dir)
    }
}
