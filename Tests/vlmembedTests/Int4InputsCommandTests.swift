import Foundation
import Testing
import TensorFormats

/// `convert --int4-inputs`: the choice is recorded in the bundle (`inspect` shows it), `embed` on
/// that bundle computes exactly what `VLMEMBED_INT4_INPUTS` gives on an unpinned one, the
/// environment still overrides the bundle, and a choice without an int4 scheme is refused.
@Suite struct Int4InputsCommandTests {
    static let phi = CLIRunner.fixtures + "/models/phi3_v"
    /// Unset for the child (an empty value counts as unset), whatever the test process has.
    static let unset = ["VLMEMBED_INT4_INPUTS": ""]

    static func embed(_ bundle: String, _ input: String, _ out: String, environment: [String: String]) throws -> [Float] {
        let r = try CLIRunner.run(["embed", "--model", bundle, "--input", input, "-o", out], environment: environment)
        #expect(r.status == 0, "\(r.stderr)")
        return try SafetensorsFile(path: out).floats(named: "embeddings")
    }

    static func inputsSetting(_ bundle: String) throws -> String? { try bundleQuantizationSetting(bundle, "int4_inputs") }

    @Test func pinnedInputsMatchTheEnvironmentSettingAndYieldToIt() throws {
        let dir = try CLIRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let plain = dir + "/int4.vlmb", pinned = dir + "/int4-i8.vlmb"
        let base = ["convert", Self.phi, "--quant", "int4", "--group-size", "32"]
        #expect(try CLIRunner.run(base + ["-o", plain]).status == 0)
        let c = try CLIRunner.run(base + ["--int4-inputs", "int8", "-o", pinned])
        #expect(c.status == 0, "\(c.stderr)")
        #expect(try Self.inputsSetting(plain) == "int16")
        #expect(try Self.inputsSetting(pinned) == "int8")

        // Prompts long enough (≥ 3 positions) for the integer products.
        let input = dir + "/r.jsonl"
        try """
        {"id": "a", "text": "Find me an everyday image that matches the given caption: a cat on a mat"}
        {"id": "b", "text": "Represent the given sentence for retrieval: the quick brown fox jumps over the lazy dog"}

        """.write(toFile: input, atomically: true, encoding: .utf8)
        let plainDefault = try Self.embed(plain, input, dir + "/1.safetensors", environment: Self.unset)
        let plainViaEnv = try Self.embed(plain, input, dir + "/2.safetensors", environment: ["VLMEMBED_INT4_INPUTS": "int8"])
        let pinnedDefault = try Self.embed(pinned, input, dir + "/3.safetensors", environment: Self.unset)
        let pinnedOverridden = try Self.embed(pinned, input, dir + "/4.safetensors", environment: ["VLMEMBED_INT4_INPUTS": "int16"])
        #expect(!plainDefault.isEmpty)
        #expect(pinnedDefault == plainViaEnv, "the pinned bundle computes what the environment setting does")
        #expect(pinnedOverridden == plainDefault, "the environment overrides the bundle")
        #expect(pinnedDefault != plainDefault, "8-bit inputs change the embeddings at all")

        // verify reports the arithmetic the probes ran with: the bundle's, or the override. (Its
        // verdict is not the point here: int4 on this random-weight model sits below the 0.95
        // default gate with either input precision, so it exits 1.)
        for (environment, expected) in [(Self.unset, "int8"), (["VLMEMBED_INT4_INPUTS": "int16"], "int16")] {
            let v = try CLIRunner.run(["verify", pinned, "--reference", Self.phi, "--json"], environment: environment)
            #expect(v.status == 0 || v.status == 1, "\(v.stdout) \(v.stderr)")
            let report = try Array(v.stdout.utf8).withUnsafeBytes { try JSONParser.parse($0) }
            #expect(report["schemes"]?["int4_inputs"]?.stringValue == expected)
            #expect(["avx512", "avx2", "generic"].contains(report["kernel_path"]?.stringValue ?? ""))
        }
    }

    @Test func int8InputsNeedAnInt4SchemeAndAKnownName() throws {
        let dir = try CLIRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (args, words) in [(["--quant", "int8", "--int4-inputs", "int8"], "needs an int4 scheme"),
                              (["--quant", "int4", "--int4-inputs", "int4"], "must be int16 or int8")] {
            let out = dir + "/x.vlmb"
            let r = try CLIRunner.run(["convert", Self.phi] + args + ["-o", out])
            #expect(r.status == 2, "\(args): \(r.stderr)")
            #expect(r.errorLines.count == 1 && r.errorLines[0].contains(words), "\(args): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out))
        }
        // Vision int4 alone is enough.
        let v = try CLIRunner.run(["convert", Self.phi, "--quant", "int8", "--vision-quant", "int4", "--int4-inputs", "int8", "-o", dir + "/v.vlmb"])
        #expect(v.status == 0, "\(v.stderr)")
        #expect(try Self.inputsSetting(dir + "/v.vlmb") == "int8")
    }
}
