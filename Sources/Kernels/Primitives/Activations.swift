#if canImport(Glibc)
import Glibc
#endif

/// Elementwise activations, in place over `count` floats.
public enum Activations {
    /// quick_gelu: x·sigmoid(1.702·x) (CLIP).
    public static func quickGELU(_ x: UnsafeMutablePointer<Float>, count: Int) {
        Parallel.forEach(chunks(count)) { c in
            for i in range(c, count) { let v = x[i]; x[i] = v * (1 / (1 + expf(-1.702 * v))) }
        }
    }

    /// Exact GELU: 0.5·x·(1 + erf(x/√2)) (both image projectors).
    public static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        Parallel.forEach(chunks(count)) { c in
            for i in range(c, count) { let v = x[i]; x[i] = 0.5 * v * (1 + erff(v * 0.70710678118654752)) }
        }
    }

    /// SwiGLU as the decoders use it: out[i] = SiLU(gate[i]) · up[i], SiLU(x) = x·sigmoid(x).
    public static func siluMultiply(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, count: Int) {
        Parallel.forEach(chunks(count)) { c in
            for i in range(c, count) { let g = gate[i]; out[i] = (g / (1 + expf(-g))) * up[i] }
        }
    }

    static let chunkSize = 1 << 14
    static func chunks(_ count: Int) -> Int { (count + chunkSize - 1) / chunkSize }
    static func range(_ c: Int, _ count: Int) -> Range<Int> { (c * chunkSize)..<min(count, (c + 1) * chunkSize) }
}
