@testable import Kernels
import Testing

/// `VLMEMBED_ISA` parsing and what this build offers.
@Suite struct KernelISATests {
    @Test func resolvesNamesAndRefusesWhatCannotRun() throws {
        #expect(try KernelISA.resolve(environment: nil) == KernelISA.available.first)
        #expect(try KernelISA.resolve(environment: "") == KernelISA.available.first)
        #expect(try KernelISA.resolve(environment: "generic") == .generic)
        #expect(try KernelISA.resolve(environment: "GENERIC") == .generic)
        #expect(throws: KernelISAError.self) { try KernelISA.resolve(environment: "sse9") }
        do {
            _ = try KernelISA.resolve(environment: "amx")
            Issue.record("amx resolved, but this build has no amx kernel")
        } catch {
            #expect(error.message.contains("no amx kernel") || error.message.contains("lacks"), "\(error.message)")
        }
        // `avx512vnni` is the older name of `avx512`.
        if KernelISA.avx512.isSupported() {
            #expect(try KernelISA.resolve(environment: "avx512") == .avx512)
            #expect(try KernelISA.resolve(environment: "avx512vnni") == .avx512)
            #expect(KernelISA.available.first == .avx512, "the best verified path is the default")
        } else {
            for name in ["avx512", "avx512vnni"] {
                do {
                    _ = try KernelISA.resolve(environment: name)
                    Issue.record("\(name) resolved on a CPU without AVX512F/BW/VL")
                } catch {
                    #expect(error.message.contains("lacks"), "\(error.message)")
                    #expect(!error.message.contains("\n"))
                }
            }
        }
        if !KernelISA.avx2.isSupported() {
            #expect(throws: KernelISAError.self) { try KernelISA.resolve(environment: "avx2") }
        }
        #expect(KernelISA.available.last == .generic)
    }

    /// Every path this build knows is either available or skipped with a reason, never both.
    @Test func everyPathIsAvailableOrSkippedWithAReason() {
        let skipped = KernelISA.skipped()
        for isa in KernelISA.allCases {
            let isSkipped = skipped.contains { $0.path == isa }
            #expect(isSkipped != KernelISA.available.contains(isa), "\(isa)")
        }
        #expect(skipped.allSatisfy { !$0.reason.isEmpty })
        print("KERNEL-INFO paths: \(KernelISA.available.map { $0.detail() }.joined(separator: ", ")); skipped: \(skipped.map { "\($0.path) (\($0.reason))" }.joined(separator: ", "))")
    }

    @Test func forcingIsScopedToTheTask() {
        let before = KernelISA.active
        KernelISA.$forced.withValue(.generic) { #expect(KernelISA.active == .generic) }
        #expect(KernelISA.active == before)
    }
}
