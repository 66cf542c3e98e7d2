import Foundation
import Testing
@testable import TensorFormats

@Suite("PyTorch checkpoints: hostile pickles", .serialized)
struct TorchHostileTests {
    static let cases: [(file: String, global: String)] = {
        var c: [(String, String)] = []
        let globals = [("os_system", "os.system"), ("posix_system", "posix.system"), ("builtins_eval", "builtins.eval"),
                       ("builtins_exec", "builtins.exec"), ("subprocess_popen", "subprocess.Popen"),
                       ("builtin_getattr", "__builtin__.getattr"), ("torch_load", "torch.load")]
        for (stem, g) in globals {
            c.append(("hostile_\(stem)_p2.bin", g))
            c.append(("hostile_\(stem)_p4.bin", g))
        }
        c.append(("hostile_os_system_p0.bin", "os.system"))
        c.append(("hostile_nested_p2.bin", "os.system"))
        return c
    }()

    @Test("forbidden globals are refused by name, and nothing runs", arguments: cases)
    func refused(_ c: (file: String, global: String)) throws {
        unlink(TorchFixtures.marker)
        let path = TorchFixtures.path(c.file)
        let e = TorchFixtures.expectFormatError { _ = try TorchCheckpoint(path: path) }
        #expect(e?.file == path)
        #expect(e?.problem == "pickle references forbidden global \(c.global); only tensors and dicts of tensors are allowed")
        #expect(!FileManager.default.fileExists(atPath: TorchFixtures.marker), "the payload ran")
    }

    @Test func everyHostileFixtureIsCovered() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: TorchFixtures.directory).filter { $0.hasPrefix("hostile_") }
        #expect(Set(files) == Set(Self.cases.map(\.file)))
    }
}

@Suite("PyTorch checkpoints: broken files")
struct TorchBrokenFileTests {
    func error(_ file: String) -> FormatError? {
        let path = TorchFixtures.path(file)
        let e = TorchFixtures.expectFormatError { _ = try TorchCheckpoint(path: path) }
        #expect(e?.file == path)
        return e
    }

    @Test func zipWithoutDataPickle() {
        #expect(error("no_data_pkl.bin")?.problem == "zip archive has no data.pkl: not a PyTorch checkpoint")
    }

    @Test func legacyFormat() {
        #expect(error("legacy.bin")?.problem.contains("legacy") == true)
    }

    @Test func deflatedEntry() {
        #expect(error("deflated.bin")?.problem.contains("deflate-compressed") == true)
    }

    @Test func bigEndian() {
        #expect(error("big_endian.bin")?.problem.contains("big-endian") == true)
    }

    @Test func storageSizeMismatch() {
        #expect(error("bad_storage_size.bin")?.problem.contains("holds 16 bytes") == true)
    }

    @Test func viewOutsideStorage() {
        #expect(error("bad_view.bin")?.problem.contains("storage holds 16 bytes") == true)
    }

    @Test func missingBlob() {
        #expect(error("missing_blob.bin")?.problem.contains("archive/data/7 is not found") == true)
    }

    @Test func hugeExpandedViewIsNotMaterialized() throws {
        let path = TorchFixtures.path("huge_expand.bin")
        let ckpt = try TorchCheckpoint(path: path)
        #expect(ckpt.descriptor(named: "w")?.shape == [1 << 20, 1 << 20])
        let e = TorchFixtures.expectFormatError { _ = try ckpt.tensorData(named: "w") }
        #expect(e?.file == path)
        #expect(e?.problem.contains("refusing to materialize") == true)
    }

    @Test func notAZip() throws {
        let path = try TorchFixtures.temporary(Array("hello, this is not a checkpoint at all".utf8))
        let e = TorchFixtures.expectFormatError { _ = try TorchCheckpoint(path: path) }
        #expect(e?.file == path)
        #expect(e?.problem.contains("not a PyTorch checkpoint") == true)
        let empty = try TorchFixtures.temporary([])
        #expect(TorchFixtures.expectFormatError { _ = try TorchCheckpoint(path: empty) }?.file == empty)
        unlink(path)
        unlink(empty)
    }

    @Test("every truncation is a FormatError naming the file", arguments: ["state_dict.bin", "zip64.bin"])
    func truncated(file: String) throws {
        let full = try TorchFixtures.bytes(file)
        var lengths = Array(stride(from: 0, to: full.count, by: 61))
        lengths += [full.count - 1, full.count - 22, full.count - 23, full.count / 2]
        for n in lengths {
            let path = try TorchFixtures.temporary(Array(full[..<n]))
            let e = TorchFixtures.expectFormatError { _ = try TorchCheckpoint(path: path) }
            #expect(e?.file == path, "length \(n)")
            unlink(path)
        }
    }

    /// Offset of the end-of-central-directory record.
    func eocd(_ b: [UInt8]) -> Int {
        var i = b.count - 22
        while i >= 0 && !(b[i] == 0x50 && b[i + 1] == 0x4B && b[i + 2] == 5 && b[i + 3] == 6) { i -= 1 }
        return i
    }

    func put32(_ b: inout [UInt8], _ at: Int, _ v: UInt32) {
        for k in 0..<4 { b[at + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(k))) }
    }

    @Test func badOffsets() throws {
        let full = try TorchFixtures.bytes("state_dict.bin")
        let end = eocd(full)
        #expect(end > 0)
        let cdOffset = Int(full[end + 16]) | Int(full[end + 17]) << 8 | Int(full[end + 18]) << 16 | Int(full[end + 19]) << 24
        var variants: [(String, [UInt8])] = []
        var b = full; put32(&b, end + 16, 0xFFFF_FFF0); variants.append(("central directory offset past the end", b))
        b = full; put32(&b, end + 12, 0x7FFF_FFFF); variants.append(("central directory size too large", b))
        b = full; b[end + 10] = 0xFF; b[end + 11] = 0x7F; variants.append(("entry count too large", b))
        b = full; put32(&b, cdOffset + 42, UInt32(full.count - 10)); variants.append(("local header offset near the end", b))
        b = full; put32(&b, cdOffset + 42, 0xFFFF_FF00); variants.append(("local header offset past the end", b))
        b = full; put32(&b, cdOffset + 20, 0x7FFF_FFFF); put32(&b, cdOffset + 24, 0x7FFF_FFFF); variants.append(("entry size too large", b))
        b = full; b[cdOffset] = 0; variants.append(("central signature broken", b))
        b = full; b[0] = 0x51; variants.append(("local signature broken", b))
        b = full; b[cdOffset + 28] = 0xFF; b[cdOffset + 29] = 0xFF; variants.append(("name length past directory", b))
        // torch.save always writes ZIP64 end records; corrupt those too.
        let z64 = end - 20 - 56
        #expect(full[z64] == 0x50 && full[z64 + 3] == 6)
        b = full; put32(&b, z64 + 48, 0xFFFF_FFF0); put32(&b, end + 16, 0xFFFF_FFFF); variants.append(("zip64 directory offset past the end", b))
        b = full; put32(&b, z64 + 52, 0x8000_0000); put32(&b, end + 16, 0xFFFF_FFFF); variants.append(("zip64 directory offset beyond Int", b))
        b = full; put32(&b, z64 + 40, 0xFFFF_FFF0); put32(&b, end + 12, 0xFFFF_FFFF); variants.append(("zip64 directory size too large", b))
        b = full; put32(&b, z64 + 32, 0x7FFF_FFFF); b[end + 10] = 0xFF; b[end + 11] = 0xFF; variants.append(("zip64 entry count too large", b))
        b = full; put32(&b, end - 12, 0xFFFF_FF00); variants.append(("zip64 locator offset past the end", b))
        b = full; b[z64] = 0; variants.append(("zip64 record signature broken", b))
        for (what, bytes) in variants {
            let path = try TorchFixtures.temporary(bytes)
            let e = TorchFixtures.expectFormatError { _ = try TorchCheckpoint(path: path) }
            #expect(e?.file == path, "\(what)")
            unlink(path)
        }
    }

    /// Random byte corruption never crashes: the file opens (and its tensors read) or a FormatError is thrown.
    @Test func corruptionNeverCrashes() throws {
        let full = try TorchFixtures.bytes("state_dict.bin")
        var rng = SplitMix64(seed: 42)
        for _ in 0..<300 {
            var b = full
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                let i = Int(rng.next() % UInt64(b.count))
                b[i] = UInt8(truncatingIfNeeded: rng.next())
            }
            let path = try TorchFixtures.temporary(b)
            do {
                let c = try TorchCheckpoint(path: path)
                for t in c.tensors { _ = try c.tensorData(named: t.name) }
            } catch let e as FormatError {
                #expect(e.file == path)
            }
            unlink(path)
        }
    }
}
