@testable import Kernels
import Testing

/// `VLMEMBED_INT4_INPUTS` parsing, and which product 4-bit weights take under each setting.
@Suite struct Int4InputsTests {
    @Test func resolvesNamesAndRefusesOthers() throws {
        #expect(try Int4Inputs.resolve(environment: nil) == nil)
        #expect(try Int4Inputs.resolve(environment: "") == nil)
        #expect(try Int4Inputs.resolve(environment: "int8") == .int8)
        #expect(try Int4Inputs.resolve(environment: "INT16") == .int16)
        do {
            _ = try Int4Inputs.resolve(environment: "int4")
            Issue.record("int4 resolved")
        } catch {
            #expect(error.message == "VLMEMBED_INT4_INPUTS=int4: unknown setting (one of: int16, int8)")
        }
    }

    /// The default keeps 4-bit weights on the int16-input product; `int8` moves them (and only
    /// them) to the 8-bit-input product; forcing is scoped to the task.
    @Test func settingChoosesTheProduct() {
        var rng = SplitMix64(seed: 21)
        var keep = [AnyObject]()
        let int4 = Int16ProductTests.int4(rows: 16, columns: 64, group: 32, asymmetric: false, &rng).matrix(&keep)
        let q4 = Int16ProductTests.ggml(q8: false, rows: 16, columns: 64, &rng).matrix(&keep)
        let int8 = Int16ProductTests.int8(rows: 16, columns: 64, &rng).matrix(&keep)
        Int4Inputs.$forced.withValue(.int16) {
            #expect(Int8InputProduct.codeRows(int4) == nil && Int8InputProduct.codeRows(q4) == nil)
            #expect(Int16Product.codeRows(int4) != nil)
        }
        Int4Inputs.$forced.withValue(.int8) {
            #expect(Int4Inputs.active == .int8)
            #expect(Int8InputProduct.codeRows(int4) != nil && Int8InputProduct.codeRows(q4) != nil)
            #expect(Int8InputProduct.codeRows(int8) == nil)
        }
        #expect(Int4Inputs.active == Int4Inputs.process ?? .int16)
    }

    /// A weight's own preference (its bundle's) decides unless the setting is forced or set in
    /// the environment; views keep the preference.
    @Test func weightPreferenceYieldsToForcedSetting() {
        var rng = SplitMix64(seed: 22)
        var keep = [AnyObject]()
        var int4 = Int16ProductTests.int4(rows: 16, columns: 64, group: 32, asymmetric: false, &rng).matrix(&keep)
        #expect(int4.preferredInputs == .int16)
        int4.preferredInputs = .int8
        #expect(int4.reorderingRows(Array((0..<16).reversed())).preferredInputs == .int8)
        Int4Inputs.$forced.withValue(.int16) {
            #expect(Int4Inputs.active(preferring: .int8) == .int16)
            #expect(Int8InputProduct.codeRows(int4) == nil)
        }
        Int4Inputs.$forced.withValue(.int8) {
            #expect(Int4Inputs.active(preferring: .int16) == .int8)
        }
        if Int4Inputs.process == nil {
            #expect(Int4Inputs.active(preferring: .int8) == .int8)
            #expect(Int8InputProduct.codeRows(int4) != nil)
            int4.preferredInputs = .int16
            #expect(Int8InputProduct.codeRows(int4) == nil)
        }
    }
}
