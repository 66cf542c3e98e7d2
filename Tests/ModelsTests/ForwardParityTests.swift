import Testing
import Models

/// fp32 forward vs upstream PyTorch (base variant) on the cases whose processor outputs are stored
/// in full: every stored intermediate within 1e-4·(1 + max|ref|), pooled embedding cosine ≥ 0.99999.
@Suite(.serialized) struct ForwardParityTests {
    static let storedInputCases = ["p01_text_query", "p02_image_only", "p12_text_with_marker",
                                   "l01_text_query", "l02_image_only", "l11_batch_text_left_pad", "l12_batch_text_right_pad", "l13_text_with_marker"]

    @Test(arguments: storedInputCases)
    func caseMatchesUpstream(id: String) throws {
        let c = try ReferenceCase.named(id)
        var ran = 0
        for row in c.rows.indices {
            guard let r = try CaseRunner.run(c, row: row) else { continue }
            ran += 1
            #expect(r.cosine >= 0.99999, "\(id) row \(row): cosine \(r.cosine)")
            for check in r.checks {
                #expect(check.passes, "\(id) row \(row): \(check)")
            }
            print("parity \(id) row \(row): cosine \(r.cosine); " + r.checks.map { "\($0.name) \($0.error)" }.joined(separator: ", "))
        }
        #expect(ran > 0, "no row of \(id) could be run from stored inputs")
    }
}
