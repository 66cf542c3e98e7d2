import Foundation
import TensorFormats

/// The bearer key clients must present, compared in constant time.
public enum APIKey {
    /// The key in `path`: its first line, surrounding whitespace removed; empty is an error.
    public static func read(_ path: String) throws -> String {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw FormatError(path, "cannot read the API key file: \(error.localizedDescription)")
        }
        let key = text.split(separator: "\n", omittingEmptySubsequences: false).first.map {
            $0.trimmingCharacters(in: .whitespacesAndNewlines)
        } ?? ""
        guard !key.isEmpty else { throw FormatError(path, "the API key file is empty") }
        return key
    }

    /// Whether an `Authorization` header carries `key` (`Bearer <key>`); the time taken does not
    /// depend on where the first differing byte is.
    public static func matches(authorization: String?, key: String) -> Bool {
        guard let authorization, authorization.hasPrefix("Bearer ") else { return false }
        let given = Array(authorization.utf8.dropFirst(7)), expected = Array(key.utf8)
        var difference = UInt8(given.count == expected.count ? 0 : 1)
        for i in 0..<expected.count { difference |= expected[i] ^ (i < given.count ? given[i] : 0) }
        return difference == 0
    }
}
