/// Anything that holds named tensors: a safetensors file, a sharded checkpoint, a GGUF file,
/// a PyTorch zip checkpoint. Opening a source reads only headers; tensor bytes are viewed
/// (through mmap where the format allows) when asked for.
public protocol TensorSource: Sendable {
    /// The format's name as `inspect` reports it (`safetensors`, `gguf`, `pytorch`, `hf-dir`).
    var formatName: String { get }
    /// The architecture the checkpoint declares, when it declares one.
    var architecture: String? { get }
    /// Every tensor, in file order.
    var tensors: [TensorDescriptor] { get }
    /// The bytes of one tensor. Throws a `FormatError` for an unknown name.
    func tensorData(named name: String) throws -> TensorData
}

extension TensorSource {
    /// The descriptor with this name, if any.
    public func descriptor(named name: String) -> TensorDescriptor? {
        tensors.first { $0.name == name }
    }

    /// Total number of elements over all tensors (saturating at `Int.max`).
    public var parameterCount: Int { TensorDescriptor.totalElements(tensors) }

    /// The values of one tensor as f32.
    public func floats(named name: String) throws -> [Float] {
        try tensorData(named: name).floats()
    }
}
