// Temporary until the GGUF and PyTorch readers are merged in.
public struct GGUFFile: TensorSource {
    public init(path: String) throws { throw FormatError(path, "GGUF reader pending") }
    public var formatName: String { "gguf" }
    public var architecture: String? { nil }
    public var tensors: [TensorDescriptor] { [] }
    public func tensorData(named name: String) throws -> TensorData { throw FormatError("", "") }
}
public struct TorchCheckpoint: TensorSource {
    public init(path: String) throws { throw FormatError(path, "PyTorch reader pending") }
    public var formatName: String { "pytorch" }
    public var architecture: String? { nil }
    public var tensors: [TensorDescriptor] { [] }
    public func tensorData(named name: String) throws -> TensorData { throw FormatError("", "") }
}
