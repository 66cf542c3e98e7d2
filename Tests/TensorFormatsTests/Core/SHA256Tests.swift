import Foundation
import Testing
@testable import TensorFormats

/// SHA-256 against the FIPS 180-4 example digests and against the digests the image fixtures'
/// generator recorded (Python hashlib); the SHA-extensions block function against the portable
/// one on every length around the block boundaries; incremental updates in uneven pieces.
@Suite struct SHA256Tests {
    static func hex(_ bytes: [UInt8], _ implementation: SHA256.Implementation = .best) -> String {
        var h = SHA256(implementation: implementation)
        h.update(bytes)
        return SHA256.hexEncoded(h.finalize())
    }

    @Test func fipsExamples() {
        // FIPS 180-4 / NIST CSRC examples, one and two blocks, and the million-'a' message.
        #expect(Self.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Self.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Self.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(Self.hex(million) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        #expect(Self.hex(million, .portable) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func fixtureDigestsRecordedByTheirGenerator() throws {
        let dir = TestPaths.fixtures + "/images"
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/manifest.json"))) as? [String: Any]
        let cases = try #require(manifest?["decode_png"] as? [[String: Any]])
        #expect(cases.count >= 6)
        for c in cases {
            let file = try #require(c["expected"] as? String), digest = try #require(c["sha256"] as? String)
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/" + file)))
            #expect(SHA256.hex(bytes) == digest, "\(file)")
        }
    }

    @Test func acceleratedAndPortableAgreeOnEveryLength() {
        var rng = SplitMix64(seed: 256)
        let data = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &rng) }
        for n in Array(0...200) + [255, 256, 257, 1023, 1024, 1025, 4096] {
            let piece = Array(data[0..<n])
            #expect(Self.hex(piece) == Self.hex(piece, .portable), "\(n) bytes")
        }
        print("SHA256 accelerated: \(SHA256.isAccelerated)")
    }

    @Test func unevenPiecesGiveTheOneShotDigest() {
        var rng = SplitMix64(seed: 7)
        let data = (0..<10_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let whole = Self.hex(data)
        for pieceSizes in [[1], [63], [64], [65], [1, 127, 3], [1000, 7, 64, 129]] {
            var h = SHA256()
            var i = 0, k = 0
            while i < data.count {
                let n = min(pieceSizes[k % pieceSizes.count], data.count - i)
                data[i..<(i + n)].withUnsafeBytes { h.update($0) }
                i += n
                k += 1
            }
            #expect(SHA256.hexEncoded(h.finalize()) == whole, "\(pieceSizes)")
        }
    }
}
