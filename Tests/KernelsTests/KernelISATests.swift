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
        for isa in [KernelISA.amx, .avx512vnni] {
            do {
                _ = try KernelISA.resolve(environment: isa.rawValue)
                Issue.record("\(isa) resolved, but this build has no \(isa) kernel")
            } catch {
                #expect(error.message.contains("no \(isa.rawValue) kernel"), "\(error.message)")
            }
        }
        if !KernelISA.avx2.isSupported() {
            #expect(throws: KernelISAError.self) { try KernelISA.resolve(environment: "avx2") }
        }
        #expect(KernelISA.available.last == .generic)
    }

    @Test func forcingIsScopedToTheTask() {
        let before = KernelISA.active
        KernelISA.$forced.withValue(.generic) { #expect(KernelISA.active == .generic) }
        #expect(KernelISA.active == before)
    }
}
