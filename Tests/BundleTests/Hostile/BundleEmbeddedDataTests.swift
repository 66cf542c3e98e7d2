import Runtime
import Foundation
import Testing
import Bundle
import Kernels
import ModelGraph
import TensorFormats

/// A written bundle, then edited: embedded files are checked against their manifest digests before
/// any parser sees them; non-finite int8/int4 scales are refused at open; the writer refuses a
/// config its reader would refuse, and files its caller's check refuses, before writing anything.
@Suite(.serialized) struct BundleEmbeddedDataTests {
    static let bundle: Result<String, any Error> = Result { try BundleFormatTests.writeBundle("hostile-base.vlmb") }

    @Test func tamperedTokenizerIsAChecksumFailure() throws {
        let source = try Self.bundle.get()
        let entry = try #require(try BundleFile(path: source).manifest.files.first { $0.name == "tokenizer.json" })
        let path = try BundleFormatTests.mutated(source, "hostile-tokenizer.vlmb") { $0[entry.section.offset + 5] ^= 0x20 }
        let graph = try BundleFile(path: path).graph()  // opening reads no embedded file
        #expect { _ = try graph.files.bytes("tokenizer.json") } throws: {
            "\($0)" == "\(path): embedded file 'tokenizer.json' does not match its manifest SHA-256 (the bundle is corrupt or was edited)"
        }
        #expect(try graph.files.bytes("config.json") != nil)
    }

    @Test(arguments: [UInt32(0x7FC0_0000), 0x7F80_0000, 0xFF80_0000])
    func nonFiniteInt8ScaleIsRefusedAtOpen(bits: UInt32) throws {
        let source = try Self.bundle.get()
        let t = try #require(try BundleFile(path: source).manifest.tensors.first { $0.scheme == .int8 })
        let scales = try #require(t.scales)
        let path = try BundleFormatTests.mutated(source, "hostile-scale.vlmb") { b in
            withUnsafeBytes(of: bits.littleEndian) { for (i, x) in $0.enumerated() { b[scales.offset + 4 + i] = x } }
        }
        #expect { try BundleFile(path: path) } throws: { "\($0)" == "\(path): tensor '\(t.name)': scale 1 is not finite (NaN or infinity)" }
    }

    @Test func nonFiniteInt4ScaleIsRefusedAtOpen() throws {
        let source = try BundleFormatTests.writeBundle("hostile-int4.vlmb", plan: QuantizationPlan(decoder: .int4(group: 32, asymmetric: false)))
        let t = try #require(try BundleFile(path: source).manifest.tensors.first { if case .int4 = $0.scheme { return true } else { return false } })
        let scales = try #require(t.scales)
        let path = try BundleFormatTests.mutated(source, "hostile-int4-nan.vlmb") { b in b[scales.offset] = 0x00; b[scales.offset + 1] = 0x7E }
        #expect { try BundleFile(path: path) } throws: { "\($0)".contains("tensor '\(t.name)': scale 0 is not finite") }
    }

    @Test func writerRefusesFilesItsCallerRefusesAndWritesNothing() throws {
        let (graph, _) = try ModelSource.openEmbeddingGraph(BundleFormatTests.model)
        var writer = BundleWriter(plan: QuantizationPlan(decoder: .int8))
        struct Refused: Error, CustomStringConvertible { var description: String { "tokenizer.json: bad" } }
        writer.validateFiles = { _ in throw Refused() }
        let out = BundleFormatTests.temporaryPath("never-written.vlmb")
        #expect(throws: Refused.self) { try writer.write(graph, to: out) }
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func writerRefusesAnInvalidPreprocessorConfig() throws {
        let (graph, _) = try ModelSource.openEmbeddingGraph(BundleFormatTests.model)
        let real = graph.files
        let files = ModelFiles(origin: real.origin) { name in
            name == "preprocessor_config.json" ? Array("{\"num_crops\": 1000000, \"image_mean\": [0.5, 0.5], \"image_std\": [0.5, 0.5, 0.5]}".utf8) : try real.bytes(name)
        }
        var edited = ModelGraph(config: graph.config, tensors: graph.tensorNames.compactMap { graph.tensors[$0] },
                                ignoredSourceTensors: [], sourcePath: graph.sourcePath, files: files)
        edited.attachEmbeddingHead()
        let out = BundleFormatTests.temporaryPath("bad-preprocessor.vlmb")
        #expect { try BundleWriter(plan: QuantizationPlan(decoder: .int8)).write(edited, to: out) } throws: {
            "\($0)" == "preprocessor_config.json: num_crops 1000000 is outside 1…64 (the crop limit)"
        }
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}
