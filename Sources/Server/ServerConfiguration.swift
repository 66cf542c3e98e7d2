import Runtime

/// How `vlmembed serve` runs: where it listens, what it accepts, how it batches.
public struct ServerConfiguration: Sendable {
    public var model: ModelSpec
    public var engineOptions: EngineOptions
    /// Bind address; loopback unless told otherwise.
    public var host: String = "127.0.0.1"
    /// TCP port (0: any free port, reported when listening).
    public var port: Int = 8080
    /// Bearer key clients must send (nil: no authentication).
    public var apiKey: String?
    /// Most tokens one packed forward holds (short text requests that arrive together share one).
    public var maxBatchTokens: Int = 2048
    /// Most requests waiting for the model; one more gets 429.
    public var maxQueue: Int = 64
    /// Largest request body accepted (413 above).
    public var maxBodyBytes: Int = 32 << 20
    /// Fetch `http(s)://` and `file://` image URLs (off: only `data:` URLs).
    public var allowImageURLs: Bool = false
    /// Limits on fetched image URLs.
    public var imageFetchTimeoutSeconds: Double = 10
    public var imageFetchMaxBytes: Int = 32 << 20

    public init(model: ModelSpec, engineOptions: EngineOptions = EngineOptions()) {
        self.model = model
        self.engineOptions = engineOptions
    }

    /// Checks every limit; one line naming the option.
    public func validated() throws -> ServerConfiguration {
        func check(_ ok: Bool, _ message: String) throws { if !ok { throw RuntimeError(message) } }
        try check((0...65535).contains(port), "--port must be between 0 and 65535 (got \(port))")
        try check((1...1 << 20).contains(maxBatchTokens), "--max-batch-tokens must be between 1 and 1048576 (got \(maxBatchTokens))")
        try check((1...100_000).contains(maxQueue), "--max-queue must be between 1 and 100000 (got \(maxQueue))")
        try check((1024...1 << 30).contains(maxBodyBytes), "--max-body-bytes must be between 1024 and 1073741824 (got \(maxBodyBytes))")
        try check(!host.isEmpty, "--host must not be empty")
        if let apiKey { try check(!apiKey.isEmpty, "the API key file is empty") }
        return self
    }
}
