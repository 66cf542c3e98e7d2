import Evaluation
import Testing

@Suite struct ShardSpecTests {
    @Test func parsesAndRejects() throws {
        #expect(try ShardSpec(parsing: "2/5") == ShardSpec(index: 2, count: 5))
        for bad in ["5/5", "-1/3", "1", "a/b", "1/0", "1/2/3"] {
            #expect(throws: (any Error).self, "\(bad)") { try ShardSpec(parsing: bad) }
        }
    }

    /// The n shards cover every position exactly once, round-robin.
    @Test func shardsPartitionThePositions() throws {
        for n in 1...5 {
            let shards = try (0..<n).map { try ShardSpec(index: $0, count: n) }
            for position in 0..<23 {
                #expect(shards.filter { $0.owns(position: position) }.count == 1)
            }
            #expect(shards[0].owns(position: n))
        }
    }
}
