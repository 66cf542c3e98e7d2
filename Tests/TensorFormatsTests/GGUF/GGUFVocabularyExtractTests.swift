import Foundation
import Testing
@testable import TensorFormats

/// `GGUFFile.vocabularyOnlyBytes()` against the vocabulary-only GGUFs gguf-py writes from the same
/// keys (sha256 and size in Fixtures/tokenizer/smollm2_gguf_parity.json, `vocabulary_only`, made by
/// Tools/make_gguf_bpe_tokenizer_reference.py).
@Suite struct GGUFVocabularyExtractTests {
    static let phi3Path = TestPaths.fixtures + "/tokenizer/ggml-vocab-phi-3.gguf"

    static func expected(_ name: String) throws -> (sha256: String?, bytes: Int?) {
        let ref = try JSONParser.parse(contentsOf: TestPaths.fixtures + "/tokenizer/smollm2_gguf_parity.json")
        let entry = ref["vocabulary_only"]?[name]
        return (entry?["sha256"]?.stringValue, entry?["bytes"]?.intValue)
    }

    /// Byte-identical to gguf-py's copy, and reads back as the same keys, types and values.
    static func check(_ path: String, name: String) throws {
        let original = try GGUFFile(path: path)
        let bytes = try original.vocabularyOnlyBytes()
        let want = try expected(name)
        #expect(want.sha256 != nil && SHA256.hex(bytes) == want.sha256)
        #expect(bytes.count == want.bytes)

        let copy = try GGUFFile(path: GGUFTestSupport.tempFile(bytes, name: "tokenizer.gguf"))
        #expect(copy.version == 3 && copy.tensorInfos.isEmpty)
        let kept = original.metadataEntries.filter { $0.key == "general.architecture" || $0.key.hasPrefix("tokenizer.") }
        #expect(copy.metadataEntries.map(\.key) == kept.map(\.key))
        #expect(copy.metadataEntries.map(\.value) == kept.map(\.value))
        let fromMemory = try bytes.withUnsafeBytes { try GGUFFile.metadata(of: $0, path: "tokenizer.gguf") }
        #expect(fromMemory == copy.metadata)
    }

    @Test func phi3Vocabulary() throws {
        try Self.check(Self.phi3Path, name: "ggml-vocab-phi-3.gguf")
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["VLMEMBED_REAL_DATA"] != nil,
                   "set VLMEMBED_REAL_DATA to the folder holding SmolLM2-135M-Instruct.Q4_1.gguf"))
    func smolLM2Vocabulary() throws {
        let dir = ProcessInfo.processInfo.environment["VLMEMBED_REAL_DATA"] ?? ""
        try Self.check(dir + "/SmolLM2-135M-Instruct.Q4_1.gguf", name: "SmolLM2-135M-Instruct.Q4_1.gguf")
    }
}
