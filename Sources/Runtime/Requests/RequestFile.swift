import Preprocessing
import TensorFormats

/// Reads `embed`'s request files: JSON lines of `{"id", "text", "images"}`.
public enum RequestFile {
    /// Reads a JSON-lines file of requests. Blank lines are skipped; a malformed line is an error
    /// naming the file and line. A missing `id` becomes the 1-based line number.
    public static func read(_ path: String) throws -> [EmbeddingRequest] {
        let file = try MappedFile(path: path)
        let text = withExtendedLifetime(file) { String(decoding: file.bytes, as: UTF8.self) }
        let base = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        var requests: [EmbeddingRequest] = []
        var seen = Set<String>()
        for (n, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingWhitespace()
            if line.isEmpty { continue }
            let where_ = "\(path):\(n + 1)"
            let json: JSONValue
            do { json = try JSONParser.parse(String(line)) } catch {
                throw FormatError(where_, "malformed request: \(error.description)")
            }
            guard json.objectValue != nil else { throw FormatError(where_, "a request must be a JSON object") }
            guard let text = json["text"]?.stringValue else { throw FormatError(where_, "request has no \"text\" string") }
            let id: String
            switch json["id"] {
            case .string(let s)?: id = s
            case .int(let i)?: id = String(i)
            case nil, .null?: id = String(n + 1)
            default: throw FormatError(where_, "\"id\" must be a string or an integer")
            }
            guard seen.insert(id).inserted else { throw FormatError(where_, "duplicate request id '\(id)'") }
            var images: [String] = []
            if let v = json["images"], v != .null {
                guard let arr = v.arrayValue else { throw FormatError(where_, "\"images\" must be an array of paths") }
                for item in arr {
                    guard let p = item.stringValue, !p.isEmpty else { throw FormatError(where_, "\"images\" must hold non-empty path strings") }
                    images.append(p.hasPrefix("/") ? p : base + "/" + p)
                }
            }
            requests.append(EmbeddingRequest(id: id, text: text, images: images))
        }
        return requests
    }
}

extension Substring {
    func trimmingWhitespace() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" || f == "\r" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s = s.dropLast() }
        return s
    }
}
