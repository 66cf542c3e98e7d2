import Testing
@testable import Kernels

/// Numbers a file or flag hands the kernels: absurd int4 group sizes do not parse, section sizes
/// that overflow are reported (nil), and thread counts are capped.
@Suite(.serialized) struct KernelLimitsTests {
    @Test func hugeGroupSizeIsNotAScheme() throws {
        #expect(QuantScheme(name: "int4_sym_g9223372036854775807") == nil)
        #expect(QuantScheme(name: "int4_asym_g\(QuantScheme.maxGroup + 1)") == nil)
        #expect(QuantScheme(name: "int4_sym_g99999999999999999999999") == nil)
        #expect(QuantScheme(name: "int4_sym_g\(QuantScheme.maxGroup)") == .int4(group: QuantScheme.maxGroup, asymmetric: false))
    }

    @Test func checkedSectionSizesReportOverflow() throws {
        #expect(WeightQuantizer.checkedSectionSizes(rows: 1 << 40, columns: 1 << 40, scheme: .f32) == nil)
        #expect(WeightQuantizer.checkedSectionSizes(rows: 1 << 61, columns: 1, scheme: .int8) == nil)
        #expect(WeightQuantizer.checkedSectionSizes(rows: 2, columns: Int.max, scheme: .int4(group: 64, asymmetric: true)) == nil)
        #expect(WeightQuantizer.checkedSectionSizes(rows: -1, columns: 4, scheme: .f16) == nil)
        for scheme: QuantScheme in [.f32, .f16, .bf16, .int8, .int4(group: 32, asymmetric: false), .int4(group: 7, asymmetric: true)] {
            let c = WeightQuantizer.checkedSectionSizes(rows: 5, columns: 77, scheme: scheme)
            let u = WeightQuantizer.sectionSizes(rows: 5, columns: 77, scheme: scheme)
            #expect(c?.data == u.data && c?.scales == u.scales && c?.zeros == u.zeros, "\(scheme.name)")
        }
    }

    @Test func threadCountsAreCapped() throws {
        let saved = Parallel.threadCount
        defer { Parallel.setThreadCount(saved) }
        #expect(Parallel.setThreadCount(Int.max) == Parallel.maxThreads)
        #expect(Parallel.setThreadCount(1 << 31) == Parallel.maxThreads)
        #expect(Parallel.setThreadCount(1000) == Parallel.maxThreads)
        #expect(Parallel.setThreadCount(-5) == 1)
        #expect(Parallel.setThreadCount(3) == 3)
    }
}
