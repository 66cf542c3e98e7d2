import ArgumentParser
import Logging
import Runtime
import Server

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve embeddings over HTTP: OpenAI's POST /v1/embeddings (and vLLM's multimodal messages form), /health, /v1/models, /metrics.",
        discussion: """
        One model in memory, one forward at a time on --threads; requests wait in a bounded queue (--max-queue, then 429) \
        and short text requests that arrive together share one forward (--max-batch-tokens), each embedding bit-identical \
        to `vlmembed embed` of the same input. Binds to 127.0.0.1 unless --host says otherwise. SIGTERM/SIGINT stop \
        accepting, finish what is in flight, and exit 0. Example: vlmembed serve --model phi3v-int8.vlmb --port 8080 --api-key-file key.txt
        """
    )

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Address to bind (default 127.0.0.1: this machine only).")
    var host = "127.0.0.1"

    @Option(help: "TCP port (0: any free port, logged when listening).")
    var port = 8080

    @Option(help: "A file whose first line is the API key clients must send as 'Authorization: Bearer <key>'.")
    var apiKeyFile: String?

    @Option(help: "Most tokens one packed forward holds.")
    var maxBatchTokens = 2048

    @Option(help: "Most requests waiting for the model; one more is answered 429 with Retry-After.")
    var maxQueue = 64

    @Option(help: "Largest request body in bytes (default 32 MiB); larger is answered 413.")
    var maxBodyBytes = 32 << 20

    @Flag(name: .customLong("allow-image-urls"), help: "Fetch http(s):// and file:// image URLs (10 s timeout, 32 MiB cap, 3 redirects). Off: only data: URLs.")
    var allowImageURLs = false

    func run() async throws {
        var configuration: ServerConfiguration?
        try CLI.run {
            CLI.applyThreads(modelOptions.threads)
            var c = ServerConfiguration(model: modelOptions.spec, engineOptions: try modelOptions.engineOptions.validated())
            c.host = host
            c.port = port
            c.apiKey = try apiKeyFile.map(APIKey.read)
            c.maxBatchTokens = maxBatchTokens
            c.maxQueue = maxQueue
            c.maxBodyBytes = maxBodyBytes
            c.allowImageURLs = allowImageURLs
            configuration = try c.validated()
        }
        guard let configuration else { return }
        let server = EmbeddingServer(configuration: configuration, logger: CLI.logger)
        do {
            try await server.run { port in
                CLI.logger.info("listening on http://\(configuration.host):\(port) (model \(configuration.model.path) loading)")
            }
        } catch {
            CLI.printError("\(error)")
            throw ExitCode(2)
        }
    }
}
