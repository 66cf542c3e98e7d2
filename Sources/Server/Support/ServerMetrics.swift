import Prometheus

/// What `/metrics` reports (Prometheus text format).
public final class ServerMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    let requestDuration: DurationHistogram
    let queueWait: DurationHistogram
    let tokens: Counter
    let images: Counter
    let queueDepth: Gauge
    let batchRequests: ValueHistogram
    let batchTokens: ValueHistogram

    public init() {
        let seconds: [Duration] = [.milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
                                   .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5),
                                   .seconds(5), .seconds(10), .seconds(30), .seconds(60)]
        requestDuration = registry.makeDurationHistogram(name: "vlmembed_request_duration_seconds", buckets: seconds,
                                                         help: "Time from a request's arrival to its response")
        queueWait = registry.makeDurationHistogram(name: "vlmembed_queue_wait_seconds", buckets: seconds,
                                                   help: "Time a request waited for the model")
        tokens = registry.makeCounter(name: "vlmembed_tokens_embedded_total", help: "Prompt tokens embedded")
        images = registry.makeCounter(name: "vlmembed_images_embedded_total", help: "Images embedded")
        queueDepth = registry.makeGauge(name: "vlmembed_queue_depth", help: "Requests waiting for the model")
        batchRequests = registry.makeValueHistogram(name: "vlmembed_batch_inputs", buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
                                                    help: "Inputs per forward pass")
        batchTokens = registry.makeValueHistogram(name: "vlmembed_batch_tokens", buckets: [16, 64, 256, 1024, 2048, 4096, 16384],
                                                  help: "Tokens per forward pass")
    }

    /// Counts one answered request by its HTTP status.
    func countRequest(status: Int) {
        registry.makeCounter(name: "vlmembed_requests_total", labels: [("status", String(status))], help: "Requests answered, by status").increment()
    }

    /// The Prometheus text exposition.
    public func exposition() -> [UInt8] { registry.emitToBuffer() }
}
