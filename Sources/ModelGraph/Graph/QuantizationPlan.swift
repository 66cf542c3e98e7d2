import Kernels

/// Which part of the model a tensor belongs to, as far as quantization is concerned.
public enum TensorRole: String, Sendable {
    /// A linear weight inside a decoder layer.
    case decoder
    /// A linear weight of a CLIP encoder layer or of the projector.
    case vision
    /// Everything else: embeddings, norms, biases, separators — kept in the source dtype.
    case other

    /// The role of a canonical tensor (see `Formats/vlmb.md` §3.2).
    public static func of(_ name: String, shape: [Int]) -> TensorRole {
        guard shape.count == 2, name.hasSuffix(".weight") else { return .other }
        if name.hasPrefix("decoder.layers.") { return .decoder }
        if name.hasPrefix("vision.encoder.layers.") || name.hasPrefix("projector.") { return .vision }
        return .other
    }
}

/// The quantization policy of a bundle: a scheme for decoder linears, one for vision linears,
/// the source dtype for everything else, and how inputs meet its 4-bit weights at run time.
public struct QuantizationPlan: Sendable, Equatable {
    public var decoder: QuantScheme
    public var vision: QuantScheme
    /// The input precision the bundle's int4 weights are applied with (`Int4Inputs`; the
    /// environment may still override it). Only meaningful when a scheme is int4.
    public var int4Inputs: Int4Inputs
    /// How int4 groups are coded (`Int4Method`; the storage and kernels are the same for all).
    public var int4Method: Int4Method

    public init(decoder: QuantScheme, vision: QuantScheme = .int8, int4Inputs: Int4Inputs = .int16, int4Method: Int4Method = .roundToNearest) {
        self.decoder = decoder
        self.vision = vision
        self.int4Inputs = int4Inputs
        self.int4Method = int4Method
    }

    /// True when some linear takes an int4 scheme (so `int4Inputs` matters).
    public var hasInt4: Bool {
        [decoder, vision].contains { if case .int4 = $0 { return true } else { return false } }
    }

    /// The scheme a tensor is stored in: the policy's for linear weights, else its source float
    /// dtype (f32 for computed values and ggml-quantized sources).
    public func scheme(for tensor: GraphTensor) -> QuantScheme {
        switch TensorRole.of(tensor.name, shape: tensor.shape) {
        case .decoder: return decoder
        case .vision: return vision
        case .other: return tensor.sourceFloatScheme ?? .f32
        }
    }
}
