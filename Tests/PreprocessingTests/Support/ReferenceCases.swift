import Foundation
import TensorFormats

/// Access to the upstream reference set copied into `Fixtures/reference` (see its MANIFEST.md).
enum ReferenceCases {
    static let repoRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()

    static let fixtures = repoRoot + "/Fixtures"
    static let root = fixtures + "/reference"

    /// The parsed `cases.json`.
    static let json: JSONValue = {
        do {
            return try JSONParser.parse(contentsOf: root + "/cases.json")
        } catch {
            fatalError("cannot read cases.json: \(error)")
        }
    }()

    /// Every case object.
    static var cases: [JSONValue] { json["cases"]?.arrayValue ?? [] }

    /// Every (case id, row) pair whose row has an image, for one backbone.
    static func imageRows(backbone: String) -> [(String, JSONValue)] {
        cases.filter { $0["backbone"]?.stringValue == backbone }.flatMap { c in
            (c["rows"]?.arrayValue ?? []).filter { $0["image"]?.stringValue != nil }.map { (c["id"]?.stringValue ?? "?", $0) }
        }
    }
}
