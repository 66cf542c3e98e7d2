import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TensorFormats

/// `vlmembed serve --port 0` as a child process (its own process: no test in this one can change
/// its thread count or kernel path), with a small HTTP client for it.
final class ServeProcess: @unchecked Sendable {
    let process = Process()
    let port: Int
    private let errPipe = Pipe()
    private(set) var log = ""

    init(_ args: [String]) throws {
        process.executableURL = URL(fileURLWithPath: CLIRunner.binary)
        process.arguments = ["serve", "--port", "0"] + args
        process.standardError = errPipe
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var found: Int?
        let deadline = Date().addingTimeInterval(60)
        while found == nil, Date() < deadline, process.isRunning {
            let chunk = errPipe.fileHandleForReading.availableData
            if chunk.isEmpty { Thread.sleep(forTimeInterval: 0.02); continue }
            log += String(decoding: chunk, as: UTF8.self)
            if let r = log.range(of: #"listening on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                found = Int(log[r].split(separator: ":").last ?? "")
            }
        }
        guard let found else { process.terminate(); throw CocoaError(.fileReadUnknown) }
        port = found
        // Keep draining stderr so the server never blocks on a full pipe.
        errPipe.fileHandleForReading.readabilityHandler = { [weak self] h in
            let data = h.availableData
            if !data.isEmpty { self?.append(String(decoding: data, as: UTF8.self)) }
        }
    }

    private let lock = NSLock()
    private func append(_ s: String) { lock.withLock { log += s } }
    var currentLog: String { lock.withLock { log } }

    /// SIGTERM, then the exit status.
    func stop() -> Int32 {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        process.waitUntilExit()
        errPipe.fileHandleForReading.readabilityHandler = nil
        return process.terminationStatus
    }

    /// GET (no body) or POST (body) to the server; status and body.
    func request(_ path: String, body: String? = nil, headers: [String: String] = [:], timeout: Double = 120) async throws -> (Int, Data) {
        var r = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!, timeoutInterval: timeout)
        if let body {
            r.httpMethod = "POST"
            r.httpBody = Data(body.utf8)
            r.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        for (k, v) in headers { r.setValue(v, forHTTPHeaderField: k) }
        let (data, response) = try await URLSession.shared.data(for: r)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }

    func waitUntilReady() async throws {
        for _ in 0..<1200 {
            if let (status, _) = try? await request("/health", timeout: 5), status == 200 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// The vectors of a `/v1/embeddings` answer (float or base64).
    static func vectors(_ data: Data) throws -> [[Float]] {
        let json = try JSONParser.parse(String(decoding: data, as: UTF8.self))
        return (json["data"]?.arrayValue ?? []).map { item in
            switch item["embedding"] {
            case .string(let b64)?:
                let bytes = [UInt8](Data(base64Encoded: b64) ?? Data())
                return stride(from: 0, to: bytes.count - 3, by: 4).map { i in
                    Float(bitPattern: UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24)
                }
            case .array(let values)?: return values.compactMap { $0.doubleValue.map(Float.init) }
            default: return []
            }
        }
    }

    /// `vlmembed embed` of JSON-lines requests (written to `dir`), as vectors by id.
    static func embed(_ lines: [String], model: String, dir: String, threads: Int) throws -> [String: [Float]] {
        try (lines.joined(separator: "\n") + "\n").write(toFile: dir + "/req.jsonl", atomically: true, encoding: .utf8)
        let r = try CLIRunner.run(["embed", "--model", model, "--input", dir + "/req.jsonl", "-o", dir + "/out.jsonl", "--threads", String(threads)])
        guard r.status == 0 else { throw CocoaError(.fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: r.stderr]) }
        var out: [String: [Float]] = [:]
        for line in try String(contentsOfFile: dir + "/out.jsonl", encoding: .utf8).split(separator: "\n") {
            let j = try JSONParser.parse(String(line))
            out[j["id"]?.stringValue ?? ""] = j["embedding"]?.arrayValue?.compactMap { $0.doubleValue.map(Float.init) }
        }
        return out
    }

    static func dataURL(_ path: String) -> String {
        let mime = path.hasSuffix(".png") ? "image/png" : "image/jpeg"
        return "data:\(mime);base64," + ((try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data()).base64EncodedString()
    }

    /// vLLM's VLM2Vec request: one user message, the image then the text.
    static func messagesBody(image: String, text: String, encoding: String = "float") -> String {
        #"{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"\#(dataURL(image))"}},{"type":"text","text":"\#(text)"}]}],"encoding_format":"\#(encoding)"}"#
    }

    static func inputBody(_ texts: [String], encoding: String = "float") -> String {
        #"{"model":"m","input":[\#(texts.map { JSONValue.string($0).serialized() }.joined(separator: ","))],"encoding_format":"\#(encoding)"}"#
    }
}
