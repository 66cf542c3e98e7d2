import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Fetches `http(s)://` and `file://` image URLs for `--allow-image-urls`: a timeout, a size cap and
/// at most `maxRedirects` redirects.
public struct ImageURLFetcher: Sendable {
    public var timeoutSeconds: Double
    public var maxBytes: Int
    public var maxRedirects = 3

    public init(timeoutSeconds: Double, maxBytes: Int) {
        self.timeoutSeconds = timeoutSeconds
        self.maxBytes = maxBytes
    }

    struct FetchError: Error, CustomStringConvertible {
        var description: String
    }

    public func fetch(_ text: String) throws -> [UInt8] {
        guard let url = URL(string: text) else { throw FetchError(description: "not a valid URL") }
        if url.isFileURL {
            let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
            guard let size = attributes?[.size] as? Int, attributes?[.type] as? FileAttributeType == .typeRegular else {
                throw FetchError(description: "\(url.path): not a readable regular file")
            }
            guard size <= maxBytes else { throw FetchError(description: "\(url.path): \(size) bytes, over the \(maxBytes)-byte limit") }
            return [UInt8](try Data(contentsOf: url))
        }
        let delegate = RedirectLimiter(maxRedirects: maxRedirects)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeoutSeconds
        configuration.timeoutIntervalForResource = timeoutSeconds
        let session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var outcome: Result<[UInt8], any Error> = .failure(FetchError(description: "timed out after \(timeoutSeconds) s"))
        let cap = maxBytes
        let task = session.dataTask(with: url) { data, response, error in
            if let error {
                outcome = .failure(FetchError(description: "fetch failed: \(error.localizedDescription)"))
            } else if let http = response as? HTTPURLResponse, !(200..<300).contains(http.statusCode) {
                outcome = .failure(FetchError(description: "fetch failed with HTTP \(http.statusCode)"))
            } else if let data, data.count <= cap {
                outcome = .success([UInt8](data))
            } else {
                outcome = .failure(FetchError(description: "the image is over the \(cap)-byte limit"))
            }
            done.signal()
        }
        task.resume()
        if done.wait(timeout: .now() + timeoutSeconds + 1) == .timedOut { task.cancel() }
        return try outcome.get()
    }
}

/// Refuses redirects past a limit.
final class RedirectLimiter: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    let maxRedirects: Int
    private var count = 0
    private let lock = NSLock()

    init(maxRedirects: Int) { self.maxRedirects = maxRedirects }

    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        let allowed = lock.withLock { count += 1; return count <= maxRedirects }
        completionHandler(allowed ? request : nil)
    }
}
