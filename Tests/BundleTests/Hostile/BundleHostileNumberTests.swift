import Foundation
import Testing
import Bundle
import Kernels
import ModelGraph
import TensorFormats

/// Numbers in a bundle's header and manifest that parse fine but must not be trusted: shape
/// products that overflow, absurd int4 group sizes, offsets near 2⁶³ (manifest checksum
/// recomputed), config sizes near 2⁶³ or 2³¹, flags and reserved bytes the spec does not define.
@Suite struct BundleHostileNumberTests {
    static let sha = String(repeating: "0", count: 64)

    static func tensor(shape: String, scheme: String = "f32", offset: String = "0", length: String = "64", scales: String = "null") -> String {
        "[{\"name\":\"w\",\"shape\":\(shape),\"scheme\":\"\(scheme)\",\"role\":\"other\",\"data\":{\"offset\":\(offset),\"length\":\(length)},\"scales\":\(scales),\"zeros\":null,\"sha256\":\"\(sha)\"}]"
    }

    @Test func baselineOpens() throws {
        let m = HostileBundle.manifest(tensors: Self.tensor(shape: "[4,4]"))
        let offset = HostileBundle.dataOffset(manifestLength: m.utf8.count)
        let p = try HostileBundle.write("ok.vlmb", manifest: HostileBundle.manifest(tensors: Self.tensor(shape: "[4,4]", offset: "\(offset)")),
                                        data: [UInt8](repeating: 0, count: 64))
        #expect(HostileBundle.openError(p) == "opened")
    }

    /// Format 1.0 bundles (no `int4_method`) still open, as `rtn`; 1.1 names its method; an
    /// unknown method is refused by name.
    @Test func formatOnePointZeroStillOpensAndMethodsAreChecked() throws {
        func write(_ name: String, version: String, minor: UInt16, extra: String) throws -> String {
            let m = HostileBundle.manifest(tensors: Self.tensor(shape: "[4,4]"), version: version, extra: extra)
            let offset = HostileBundle.dataOffset(manifestLength: m.utf8.count)
            return try HostileBundle.write(name, manifest: HostileBundle.manifest(tensors: Self.tensor(shape: "[4,4]", offset: "\(offset)"),
                                                                                 version: version, extra: extra),
                                           data: [UInt8](repeating: 0, count: 64)) { $0.minor = minor }
        }
        let old = try write("v10.vlmb", version: "1.0", minor: 0, extra: "")
        #expect(HostileBundle.openError(old) == "opened")
        #expect(try BundleFile(path: old).manifest.plan.int4Method == .roundToNearest)
        let gptq = try write("gptq.vlmb", version: "1.1", minor: 1, extra: #""quantization":{"decoder":"int4_sym_g32","int4_method":"gptq"},"#)
        #expect(HostileBundle.openError(gptq) == "opened")
        #expect(try BundleFile(path: gptq).manifest.plan.int4Method == .gptq)
        let bad = try write("bad-method.vlmb", version: "1.1", minor: 1, extra: #""quantization":{"decoder":"int4_sym_g32","int4_method":"magic"},"#)
        #expect(HostileBundle.openError(bad).contains("quantization.int4_method 'magic' is not one of rtn, search, importance, gptq"), "\(HostileBundle.openError(bad))")
    }

    @Test func shapeProductOverflowIsRefused() throws {
        let p = try HostileBundle.write("shape.vlmb", manifest: HostileBundle.manifest(tensors: Self.tensor(shape: "[4294967296,4294967296,16]")))
        #expect(HostileBundle.openError(p) == "\(p): manifest: tensor 'w' shape [4294967296, 4294967296, 16] has more elements than a 64-bit integer counts")
    }

    @Test func sectionSizeOverflowIsRefused() throws {
        // The element count fits, the f32 byte count does not.
        let p = try HostileBundle.write("bytes.vlmb", manifest: HostileBundle.manifest(tensors: Self.tensor(shape: "[4611686018427387903]")))
        #expect(HostileBundle.openError(p) == "\(p): tensor 'w' (f32, shape [4611686018427387903]): section sizes overflow a 64-bit integer")
    }

    @Test func absurdGroupSizeIsAnUnknownScheme() throws {
        let p = try HostileBundle.write("group.vlmb", manifest: HostileBundle.manifest(tensors: Self.tensor(shape: "[4,4]", scheme: "int4_sym_g9223372036854775807")))
        #expect(HostileBundle.openError(p).contains("manifest: tensor 'w': unknown storage scheme 'int4_sym_g9223372036854775807'"))
    }

    @Test func offsetsNearTwoToThe63AreRefused() throws {
        let big = "9223372036854775800"
        let p = try HostileBundle.write("offset.vlmb", manifest: HostileBundle.manifest(tensors: Self.tensor(shape: "[4,4]", offset: big, length: "64")))
        #expect(HostileBundle.openError(p) == "\(p): manifest: tensor 'w' data offset+length 9223372036854775800 + 64 overflows a 64-bit integer")
        let files = "[{\"name\":\"tokenizer.json\",\"offset\":\(big),\"length\":1000,\"sha256\":\"\(Self.sha)\"}]"
        let q = try HostileBundle.write("fileoffset.vlmb", manifest: HostileBundle.manifest(files: files))
        #expect(HostileBundle.openError(q).contains("manifest: file 'tokenizer.json' offset+length 9223372036854775800 + 1000 overflows"))
    }

    @Test func headerLengthsNearTwoToThe63AreRefused() throws {
        let p = try HostileBundle.write("hdr.vlmb", manifest: HostileBundle.manifest()) { $0.manifestLength = UInt64(Int.max) - 100 }
        #expect(HostileBundle.openError(p).contains("bundle header is inconsistent"))
        let q = try HostileBundle.write("len.vlmb", manifest: HostileBundle.manifest()) { $0.fileLength = UInt64.max - 3 }
        #expect(HostileBundle.openError(q).contains("truncated or appended to"))
    }

    @Test func undefinedFlagsAndReservedBytesMustBeZero() throws {
        let p = try HostileBundle.write("flags.vlmb", manifest: HostileBundle.manifest()) { $0.flags = 0x10 }
        #expect(HostileBundle.openError(p) == "\(p): bundle header flags are 0x10, but format 1.x defines none (must be 0)")
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: try HostileBundle.write("base.vlmb", manifest: HostileBundle.manifest()))))
        #expect(HostileBundle.openError(HostileBundle.path("base.vlmb")) == "opened")
        for i in [80, 100, 127] {
            var b = bytes
            b[i] = 0x40
            let q = HostileBundle.path("reserved\(i).vlmb")
            try Data(b).write(to: URL(fileURLWithPath: q))
            #expect(HostileBundle.openError(q) == "\(q): bundle header reserved byte \(i) is 0x40, must be 0")
        }
        bytes[14] = 1  // the flags' third byte
        let r = HostileBundle.path("flagbyte.vlmb")
        try Data(bytes).write(to: URL(fileURLWithPath: r))
        #expect(HostileBundle.openError(r).contains("bundle header flags are 0x10000"))
    }

    @Test(arguments: [
        ("intermediate_size", "9223372036854775000", "intermediate_size 9223372036854775000 is outside 1…1048576"),
        ("num_hidden_layers", "2147483648", "num_hidden_layers 2147483648 is outside 1…1024"),
        ("hidden_size", "4611686018427387904", "hidden_size 4611686018427387904 is outside 1…1048576"),
        ("vocab_size", "1000000000000", "vocab_size 1000000000000 is outside 1…16777216"),
    ])
    func configSizesAreBoundedBeforeUse(key: String, value: String, expected: String) throws {
        var overrides = [key: value]
        if key == "hidden_size" { overrides["num_attention_heads"] = "1"; overrides["num_key_value_heads"] = "1" }
        let p = try HostileBundle.write("cfg-\(key).vlmb", manifest: HostileBundle.manifest(config: HostileBundle.phi3Config(overrides)))
        let b = try BundleFile(path: p)
        #expect { try b.graph() } throws: { "\($0)".contains(expected) && "\($0)".hasPrefix(p) }
    }
}
