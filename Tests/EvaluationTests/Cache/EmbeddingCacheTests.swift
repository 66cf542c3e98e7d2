import Evaluation
import Foundation
import Testing

@Suite struct EmbeddingCacheTests {
    func key(_ s: String) -> InputKey { InputKey.make(text: s, imageDigest: nil) }

    func segments(_ folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".vec") }.sorted().map { folder + "/" + $0 }
    }

    @Test func storedVectorsComeBackBitExactAfterReopening() throws {
        let root = try EvalFixtures.temporaryDirectory()
        let vectors: [[Float]] = [[1, -2.5, .ulpOfOne, Float(bitPattern: 0x0002_0000)], [0.1, 0.2, 0.3, 0.4]]
        do {
            let cache = try EmbeddingCache(root: root, identity: "m", about: "test")
            try cache.store(key("a"), vectors[0])
            try cache.store(key("b"), vectors[1])
            #expect(cache.lookup(key("a")) == vectors[0])
        }
        let reopened = try EmbeddingCache(root: root, identity: "m", about: "test")
        #expect(reopened.count == 2)
        #expect(reopened.lookup(key("a"))?.map(\.bitPattern) == vectors[0].map(\.bitPattern))
        #expect(reopened.lookup(key("b")) == vectors[1])
        #expect(reopened.lookup(key("c")) == nil)
        #expect(try EmbeddingCache(root: root, identity: "other", about: "").count == 0, "identities do not share entries")
        #expect(FileManager.default.fileExists(atPath: root + "/m/model.txt"))
    }

    /// A process killed mid-write leaves a truncated record: the complete ones survive.
    @Test func truncatedTailIsSkipped() throws {
        let root = try EvalFixtures.temporaryDirectory()
        do {
            let cache = try EmbeddingCache(root: root, identity: "m", about: "")
            for i in 0..<3 { try cache.store(key("\(i)"), [Float(i), 1, 2]) }
        }
        let segment = try #require(try segments(root + "/m").first)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: segment))
        try bytes.prefix(bytes.count - 5).write(to: URL(fileURLWithPath: segment))
        let reopened = try EmbeddingCache(root: root, identity: "m", about: "")
        #expect(reopened.count == 2)
        #expect(reopened.damagedRecords == 1)
        #expect(reopened.lookup(key("1")) == [1, 1, 2])
        #expect(reopened.lookup(key("2")) == nil)
        // Recomputing it appends to a new segment; both are read next time.
        try reopened.store(key("2"), [2, 1, 2])
        #expect(try EmbeddingCache(root: root, identity: "m", about: "").lookup(key("2")) == [2, 1, 2])
        #expect(try segments(root + "/m").count == 2)
    }

    @Test func corruptedRecordIsAMiss() throws {
        let root = try EvalFixtures.temporaryDirectory()
        do {
            let cache = try EmbeddingCache(root: root, identity: "m", about: "")
            try cache.store(key("a"), [1, 2, 3])
            try cache.store(key("b"), [4, 5, 6])
        }
        let segment = try #require(try segments(root + "/m").first)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: segment)))
        bytes[40] ^= 0x01  // first float of the first record
        try Data(bytes).write(to: URL(fileURLWithPath: segment))
        let reopened = try EmbeddingCache(root: root, identity: "m", about: "")
        #expect(reopened.lookup(key("a")) == nil)
        #expect(reopened.lookup(key("b")) == [4, 5, 6])
    }

    /// Two processes (here: two instances) sharing a cache write separate segments.
    @Test func concurrentWritersUseSeparateSegments() throws {
        let root = try EvalFixtures.temporaryDirectory()
        let a = try EmbeddingCache(root: root, identity: "m", about: "")
        let b = try EmbeddingCache(root: root, identity: "m", about: "")
        try a.store(key("a"), [1])
        try b.store(key("b"), [2])
        #expect(try segments(root + "/m").count == 2)
        let c = try EmbeddingCache(root: root, identity: "m", about: "")
        #expect(c.lookup(key("a")) == [1] && c.lookup(key("b")) == [2])
    }

    /// Keys follow content: same bytes under another path hit, changed bytes miss.
    @Test func inputKeysHashImageContentNotPath() throws {
        let dir = try EvalFixtures.temporaryDirectory()
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: dir + "/x.jpg"))
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: dir + "/y.jpg"))
        try Data([1, 2, 4]).write(to: URL(fileURLWithPath: dir + "/z.jpg"))
        let keyer = InputKeyer()
        let x = try keyer.key(text: "t", imageFile: dir + "/x.jpg")
        #expect(try keyer.key(text: "t", imageFile: dir + "/y.jpg") == x)
        #expect(try keyer.key(text: "t", imageFile: dir + "/z.jpg") != x)
        #expect(try keyer.key(text: "u", imageFile: dir + "/x.jpg") != x)
        #expect(try keyer.key(text: "t", imageFile: nil) != x)
        #expect(throws: (any Error).self) { try keyer.key(text: "t", imageFile: dir + "/absent.jpg") }
    }
}
