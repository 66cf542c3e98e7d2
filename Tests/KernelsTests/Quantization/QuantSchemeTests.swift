import Kernels
import Testing

@Suite struct QuantSchemeTests {
    @Test func namesRoundTrip() {
        let schemes: [QuantScheme] = [.f32, .f16, .bf16, .int8, .int4(group: 32, asymmetric: false),
                                      .int4(group: 64, asymmetric: false), .int4(group: 128, asymmetric: true), .int4(group: 1, asymmetric: true)]
        for scheme in schemes {
            #expect(QuantScheme(name: scheme.name) == scheme, "\(scheme.name)")
        }
        #expect(QuantScheme.int4(group: 64, asymmetric: false).name == "int4_sym_g64")
        #expect(QuantScheme.int4(group: 32, asymmetric: true).name == "int4_asym_g32")
    }

    @Test(arguments: ["", "int4", "int4_sym_g", "int4_sym_g0", "int4_sym_g-4", "int4_sym_g+4", "int4_sym_g064",
                      "int4_asym_g3x", "int4_g32", "INT8", "fp16", "int4_sym_g99999999999999999999"])
    func rejectsNonCanonicalNames(_ name: String) {
        #expect(QuantScheme(name: name) == nil)
    }

    @Test func quantizedFlagAndStorage() {
        #expect(!QuantScheme.f32.isQuantized && !QuantScheme.f16.isQuantized && !QuantScheme.bf16.isQuantized)
        #expect(QuantScheme.int8.isQuantized && QuantScheme.int4(group: 32, asymmetric: true).isQuantized)
        #expect(QuantScheme.int4(group: 32, asymmetric: true).storage == .int4(group: 32, asymmetric: true))
        #expect(QuantScheme.bf16.storage == .bf16 && QuantScheme.int8.storage == .int8)
    }
}
