/// Exports any readable checkpoint to one safetensors file, one tensor at a time.
///
/// Names are unchanged and shapes are in PyTorch order. ggml-quantized tensors are dequantized
/// (to f32, or to `dtype` when given). With `dtype`, every floating-point tensor is converted to
/// it (through f32, round to nearest even); integer and boolean tensors keep their type.
/// Without `dtype`, plain tensors are copied byte for byte.
public enum SafetensorsExporter {
    /// Output types `--dtype` accepts.
    public static let supportedDTypes: [DType] = [.f32, .f16, .bf16]

    public static func export(
        _ source: any TensorSource,
        to path: String,
        dtype: DType? = nil,
        progress: ((Int, Int) -> Void)? = nil
    ) throws {
        if let dtype, !supportedDTypes.contains(dtype) {
            throw FormatError(path, "cannot export to dtype \(dtype.rawValue); choose f32, f16 or bf16")
        }
        let outputs = source.tensors.map { d -> TensorDescriptor in
            TensorDescriptor(name: d.name, shape: d.shape, encoding: .dense(outputType(of: d, requested: dtype)))
        }
        var done = 0
        try SafetensorsWriter.write(to: path, tensors: outputs) { out, writer in
            let data = try source.tensorData(named: out.name)
            guard case .dense(let target) = out.encoding else { return }
            if case .dense(let src) = data.descriptor.encoding, src == target {
                try writer.write(data.bytes)
            } else {
                let values = try data.floats()
                try writer.write(DenseCodec.encode(values, as: target))
            }
            done += 1
            progress?(done, outputs.count)
        }
    }

    static func outputType(of d: TensorDescriptor, requested: DType?) -> DType {
        switch d.encoding {
        case .ggml: return requested ?? .f32
        case .dense(let t):
            guard let requested, t.isFloatingPoint else { return t }
            return requested
        }
    }
}
