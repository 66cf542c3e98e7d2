import Runtime
import Foundation
import Testing
import Bundle
import Kernels
import ModelGraph
import TensorFormats

/// The `.vlmb` container: a written bundle reads back with the documented header, aligned
/// non-overlapping sections and matching checksums; every structural corruption is refused on open
/// with a message naming the problem; a flipped data byte is caught by checksum verification and
/// named; a newer major version is refused as such.
@Suite(.serialized) struct BundleFormatTests {
    static let repoRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()
    static let model = repoRoot + "/Fixtures/models/phi3_v"

    static func temporaryPath(_ name: String) -> String {
        let dir = NSTemporaryDirectory() + "vlmembed-bundle-tests-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir + "/" + name
    }

    static func writeBundle(_ name: String, plan: QuantizationPlan = QuantizationPlan(decoder: .int8)) throws -> String {
        let (graph, _) = try ModelSource.openEmbeddingGraph(model)
        let path = temporaryPath(name)
        try BundleWriter(plan: plan).write(graph, to: path)
        return path
    }

    static func mutated(_ source: String, _ name: String, _ change: (inout [UInt8]) -> Void) throws -> String {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: source)))
        change(&bytes)
        let path = temporaryPath(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func roundTripKeepsLayoutAndChecksums() throws {
        let path = try Self.writeBundle("roundtrip.vlmb")
        let b = try BundleFile(path: path)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(Array(bytes[0..<8]) == BundleHeader.magic)
        #expect(b.header.major == 1 && b.header.minor == 1)
        #expect(b.manifest.formatVersion == "1.1")
        #expect(Int(b.header.fileLength) == bytes.count)
        #expect(b.header.dataOffset % 64 == 0)
        #expect(b.manifest.architecture == .phi3V)
        #expect(b.verifyChecksums().isEmpty)
        for t in b.manifest.tensors {
            for s in t.sections { #expect(s.offset % 64 == 0, "\(t.name) at \(s.offset)") }
        }
        // Scheme policy: decoder linears int8, vision linears int8, norms and embeddings in the source dtype (bf16).
        #expect(b.entry("decoder.layers.0.self_attn.qkv_proj.weight")?.scheme == .int8)
        #expect(b.entry("decoder.layers.0.self_attn.qkv_proj.weight")?.role == .decoder)
        #expect(b.entry("vision.encoder.layers.0.mlp.fc1.weight")?.role == .vision)
        #expect(b.entry("projector.linear_1.weight")?.role == .vision)
        #expect(b.entry("decoder.embed_tokens.weight")?.scheme == .bf16)
        #expect(b.entry("decoder.layers.0.input_layernorm.weight")?.scheme == .bf16)
        #expect(b.entry("lm_head.weight") == nil)
        // Passthrough tensors equal the source bit for bit.
        let source = try ModelGraph.load(directory: Self.model)
        let graph = try b.graph()
        for name in ["decoder.embed_tokens.weight", "image.glb_GN", "vision.embeddings.patch_embedding.weight"] {
            #expect(try graph.floats(name) == (try source.floats(name)), "\(name)")
        }
        // The embedded tokenizer and configs are the source files.
        for f in ["tokenizer.json", "config.json", "preprocessor_config.json"] {
            #expect(b.embeddedFile(f) == [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.model + "/" + f))), "\(f)")
        }
    }

    @Test func flippedDataByteIsNamedByVerification() throws {
        let path = try Self.writeBundle("flip-source.vlmb")
        let b = try BundleFile(path: path)
        for name in ["decoder.layers.1.mlp.down_proj.weight", "decoder.norm.weight"] {
            let entry = try #require(b.entry(name))
            let bad = try Self.mutated(path, "flip.vlmb") { $0[entry.data.offset + entry.data.length / 2] ^= 0x10 }
            let failures = try BundleFile(path: bad).verifyChecksums()
            #expect(failures == ["tensor '\(name)'"], "\(failures)")
        }
        let scales = try #require(b.entry("decoder.layers.0.self_attn.o_proj.weight")?.scales)
        let bad = try Self.mutated(path, "flip-scales.vlmb") { $0[scales.offset] ^= 0x01 }
        #expect(try BundleFile(path: bad).verifyChecksums() == ["tensor 'decoder.layers.0.self_attn.o_proj.weight'"])
    }

    @Test func newerVersionIsRefusedAsSuch() throws {
        let path = try Self.writeBundle("version.vlmb")
        let newer = try Self.mutated(path, "newer.vlmb") { $0[8] = 2; $0[9] = 0; $0[10] = 0; $0[11] = 0 }
        let error = try #require(throws: FormatError.self) { try BundleFile(path: newer) }
        #expect(error.problem.contains("newer than this vlmembed supports"), "\(error)")
        #expect(error.problem.contains("2.0"))
    }

    @Test(arguments: [
        ("magic", "bad magic"),
        ("truncated", "truncated"),
        ("manifest", "manifest checksum mismatch"),
        ("short", "shorter than the 128-byte header"),
        ("dataOffset", "header is inconsistent"),
    ])
    func structuralCorruptionIsRefusedOnOpen(kind: String, expected: String) throws {
        let path = try Self.writeBundle("corrupt-source.vlmb")
        let bad = try Self.mutated(path, "corrupt-\(kind).vlmb") { b in
            switch kind {
            case "magic": b[0] = 0x58
            case "truncated": b.removeLast(100)
            case "manifest": b[BundleHeader.size + 20] ^= 0x20
            case "short": b = Array(b.prefix(60))
            default: b[32] = 0x3F  // data offset no longer aligned
            }
        }
        let error = try #require(throws: FormatError.self) { try BundleFile(path: bad) }
        #expect(error.problem.contains(expected), "\(kind): \(error)")
        #expect(error.file == bad)
    }

    @Test func everySchemeRoundTripsThroughTheReader() throws {
        for plan in [QuantizationPlan(decoder: .int4(group: 32, asymmetric: true), vision: .f16), QuantizationPlan(decoder: .f32, vision: .bf16),
                     QuantizationPlan(decoder: .int4(group: 128, asymmetric: false), vision: .int4(group: 64, asymmetric: false)),
                     QuantizationPlan(decoder: .int4(group: 32, asymmetric: false), int4Inputs: .int8)] {
            let path = try Self.writeBundle("schemes.vlmb", plan: plan)
            let b = try BundleFile(path: path)
            #expect(b.manifest.plan == plan)
            #expect(b.verifyChecksums().isEmpty)
            let graph = try b.graph()
            let source = try ModelGraph.load(directory: Self.model)
            // Dequantized decoder weight equals the quantizer applied to the source values.
            let name = "decoder.layers.0.mlp.down_proj.weight"
            let t = try source.tensor(name)
            let values = try t.floats()
            let q = values.withUnsafeBufferPointer { WeightQuantizer.quantize($0, rows: t.shape[0], columns: t.shape[1], scheme: plan.decoder) }
            let expected = q.data.withUnsafeBytes { d in q.scales.withUnsafeBytes { s in q.zeros.withUnsafeBytes { z in
                WeightMatrix(rows: t.shape[0], columns: t.shape[1], storage: plan.decoder.storage, base: d.baseAddress!,
                             scales: s.baseAddress, zeros: z.baseAddress, owner: nil).floats()
            } } }
            #expect(try graph.floats(name) == expected, "\(plan)")
            #expect(try graph.tensor(name).matrix().preferredInputs == plan.int4Inputs, "\(plan)")
        }
    }

    /// `quantization.int4_inputs`: absent (bundles written before it) reads as int16; an unknown
    /// value is refused naming the file and the key.
    @Test func int4InputsKeyIsOptionalAndChecked() throws {
        let path = try Self.writeBundle("inputs.vlmb", plan: QuantizationPlan(decoder: .int4(group: 32, asymmetric: false), int4Inputs: .int8))
        let manifest = try BundleFile(path: path).manifest
        #expect(manifest.json()["quantization"]?["int4_inputs"]?.stringValue == "int8")
        func withInputs(_ value: JSONValue?) throws -> BundleManifest {
            guard case .object(var root) = manifest.json(), let q = root.firstIndex(where: { $0.0 == "quantization" }),
                  case .object(var fields) = root[q].1 else { throw FormatError(path, "manifest is not an object") }
            fields.removeAll { $0.0 == "int4_inputs" }
            if let value { fields.append(("int4_inputs", value)) }
            root[q].1 = .object(fields)
            return try BundleManifest(json: .object(root), path: "m.json")
        }
        #expect(try withInputs(nil).plan.int4Inputs == .int16)
        #expect(try withInputs(.string("int8")).plan.int4Inputs == .int8)
        let error = try #require(throws: FormatError.self) { try withInputs(.string("fp8")) }
        #expect(error.file == "m.json" && error.problem.contains("int4_inputs 'fp8'"), "\(error)")
    }
}
