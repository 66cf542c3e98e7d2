import Evaluation
import Foundation
import Preprocessing
import TensorFormats

/// A deterministic stand-in model: the embedding is a unit vector drawn from SHA-256 of the
/// prompt and the image bytes. Prompts containing "FAIL" cannot be embedded. Counts its calls.
final class FakeEmbedder: RequestEmbedder, @unchecked Sendable {
    let backbone: String
    let modelIdentity: String
    private let lock = NSLock()
    private var calls = 0
    private(set) var requests: [EmbeddingRequest] = []

    init(backbone: String = "phi3_v", identity: String = "fake-model") {
        self.backbone = backbone
        modelIdentity = identity
    }

    /// The marker its backbone's head carries.
    var imageMarker: String { backbone == "llava_next" ? "<image>" : "<|image_1|>" }

    var callCount: Int { lock.withLock { calls } }

    func embed(_ request: EmbeddingRequest) throws -> [Float] {
        lock.withLock {
            calls += 1
            requests.append(request)
        }
        if request.text.contains("FAIL") { throw FormatError(request.id, "refused") }
        var h = SHA256()
        h.update(Array((modelIdentity + "|" + request.text).utf8))
        for path in request.images { h.update(try Array(Data(contentsOf: URL(fileURLWithPath: path)))) }
        let digest = h.finalize()
        let v = (0..<8).map { Float(Int(digest[$0]) - 128) + 0.5 }
        let norm = v.map { $0 * $0 }.reduce(0, +).squareRoot()
        return v.map { $0 / norm }
    }
}

/// Temporary folders and small data sets for the Evaluation tests.
enum EvalFixtures {
    static let repoRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()

    static let smokeSet = repoRoot + "/Fixtures/eval_smoke"

    static func temporaryDirectory() throws -> String {
        let dir = NSTemporaryDirectory() + "vlmembed-eval-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// One JSON-lines row.
    static func row(_ query: String, image: String = "", candidates: [String], images: [String]? = nil) -> String {
        var o: [(String, JSONValue)] = [("qry_text", .string(query)), ("qry_img_path", .string(image)),
                                        ("tgt_text", .array(candidates.map { .string($0) }))]
        if let images { o.append(("tgt_img_path", .array(images.map { .string($0) }))) }
        return JSONValue.object(o).serialized()
    }

    /// Writes `NAME.jsonl` files (and a datasets.json describing them) into a new folder.
    static func dataFolder(_ datasets: [String: [String]], metaTask: String = "retrieval", split: String = "OOD") throws -> String {
        let dir = try temporaryDirectory()
        for (name, lines) in datasets {
            try (lines.joined(separator: "\n") + "\n").write(toFile: dir + "/" + name + ".jsonl", atomically: true, encoding: .utf8)
        }
        let described = JSONValue.object(datasets.keys.sorted().map { ($0, .object([("meta_task", .string(metaTask)), ("split", .string(split))])) })
        try described.serialized().write(toFile: dir + "/datasets.json", atomically: true, encoding: .utf8)
        return dir
    }
}
