// Temporary until the GGUF and PyTorch readers are merged in.
public struct TorchCheckpoint: TensorSource {
    public init(path: String) throws { throw FormatError(path, "PyTorch reader pending") }
    public var formatName: String { "pytorch" }
    public var architecture: String? { nil }
    public var tensors: [TensorDescriptor] { [] }
    public func tensorData(named name: String) throws -> TensorData { throw FormatError("", "") }
}
