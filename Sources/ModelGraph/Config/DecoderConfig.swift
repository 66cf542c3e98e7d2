/// The language decoder's hyperparameters (Phi-3 and Mistral share this shape).
public struct DecoderConfig: Sendable, Equatable {
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var kvHeadCount: Int
    public var headDim: Int
    public var vocabSize: Int
    public var rmsNormEps: Float
    public var ropeTheta: Float
    public var rope: RopeScaling
    public var maxPositions: Int

    /// How positions are encoded.
    public enum RopeScaling: Sendable, Equatable {
        /// Plain RoPE (Mistral).
        case none
        /// Phi-3's LongRoPE ("su"): per-frequency factors, short below `originalMaxPositions`, long above,
        /// and cos/sin scaled by √(1 + ln(max/orig)/ln(orig)).
        case longRoPE(short: [Float], long: [Float], originalMaxPositions: Int)
    }

    /// The cos/sin multiplier LongRoPE applies (1 for plain RoPE).
    public var ropeAttentionScale: Float {
        guard case .longRoPE(_, _, let orig) = rope else { return 1 }
        let scale = Double(maxPositions) / Double(orig)
        if scale <= 1 { return 1 }
        return Float((1 + _log(scale) / _log(Double(orig))).squareRoot())
    }

    /// The factor list a sequence of `length` tokens uses (nil for plain RoPE).
    public func ropeFactors(forLength length: Int) -> [Float]? {
        guard case .longRoPE(let short, let long, let orig) = rope else { return nil }
        return length > orig ? long : short
    }
}

#if canImport(Glibc)
import Glibc
func _log(_ x: Double) -> Double { Glibc.log(x) }
#else
import Foundation
func _log(_ x: Double) -> Double { Foundation.log(x) }
#endif
