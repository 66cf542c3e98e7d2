import Evaluation
import Testing

@Suite struct TopCandidateTests {
    @Test func picksTheLargestDotProduct() {
        let q: [Float] = [0.6, 0.8]
        #expect(TopCandidate.pick(query: q, candidates: [[1, 0], [0, 1], [-1, 0]]) == 1)
        #expect(TopCandidate.pick(query: q, candidates: [[0.6, 0.8], [0, 1]]) == 0)
    }

    /// Ties go to the first candidate, as upstream's argmax: an exact duplicate of the ground truth
    /// still counts as a hit, and a duplicate distractor before a later equal one wins.
    @Test func tiesGoToTheFirstCandidate() {
        let q: [Float] = [1, 0]
        #expect(TopCandidate.pick(query: q, candidates: [[0.5, 0.5], [0.5, -0.5], [0.5, 0.5]]) == 0)
        #expect(TopCandidate.pick(query: q, candidates: [[0, 1], [0.5, 0.1], [0.5, -0.1]]) == 1)
    }

    @Test func predictionsCountHitsAndChanges() {
        let p = DatasetPredictions(info: DatasetInfo(name: "d", metaTask: .vqa, split: .ind), fileSHA256: "", selectedRows: 4,
                                   lines: [1, 2, 3, 4], top: [0, 2, 0, 1], compareTop: [0, 0, 0, 1])
        #expect(p.hits == 2 && p.compareHits == 3 && p.changedTop == 1 && p.queries == 4)
    }
}
