import TensorFormats

/// One dataset's rows as read from `NAME.jsonl`, with the rows that could not be read set aside
/// as problems (a malformed line, a row without candidates, a missing image, …).
public struct EvalDataset: Sendable {
    public var info: DatasetInfo
    public var name: String { info.name }
    /// The JSON-lines file the rows came from.
    public var file: String
    public var rows: [EvalRow]
    public var problems: [EvalProblem]
    /// SHA-256 of the file's bytes (ties partial results to the exact data they were computed on).
    public var fileSHA256: String

    public init(info: DatasetInfo, file: String, rows: [EvalRow], problems: [EvalProblem], fileSHA256: String) {
        self.info = info
        self.file = file
        self.rows = rows
        self.problems = problems
        self.fileSHA256 = fileSHA256
    }

    /// Reads an MMEB-eval JSON-lines file: one object per line with `qry_text` (string),
    /// `qry_img_path` (string, `""` or null), `tgt_text` (strings) and `tgt_img_path` (strings,
    /// `""` or null, as many as `tgt_text`; may be omitted when no candidate has an image).
    /// Blank lines are skipped. Every referenced image must exist under `imagesRoot`: a path with a
    /// NUL byte, an absolute path or one whose `..` climbs out of the root is a problem of its row
    /// (unless `allowOutsideRoot`, which still refuses NUL). Rows past `limit` (counting rows, not
    /// lines) are not read.
    public static func read(file: String, info: DatasetInfo, imagesRoot: String, limit: Int? = nil,
                            allowOutsideRoot: Bool = false) throws -> EvalDataset {
        let mapped = try MappedFile(path: file)
        var digest = SHA256()
        digest.update(mapped.bytes)
        let sha = SHA256.hex(digest.finalize())
        let text = withExtendedLifetime(mapped) { String(decoding: mapped.bytes, as: UTF8.self) }
        var rows: [EvalRow] = []
        var problems: [EvalProblem] = []
        var imageExists: [String: Bool] = [:]
        func exists(_ path: String) -> Bool {
            if let known = imageExists[path] { return known }
            let found = FileSystem.isFile(resolve(path, root: imagesRoot))
            imageExists[path] = found
            return found
        }
        var counted = 0
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if let limit, counted >= limit { break }
            let line = raw.drop { $0 == " " || $0 == "\t" || $0 == "\r" }
            if line.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) { continue }
            counted += 1
            do {
                let row = try parseRow(String(line), line: n + 1)
                for input in [row.query] + row.candidates where input.hasImage {
                    if let problem = pathProblem(input.imagePath, allowOutsideRoot: allowOutsideRoot) { throw RowError(problem) }
                    if !exists(input.imagePath) { throw RowError("image '\(input.imagePath)' not found (images root \(imagesRoot))") }
                }
                rows.append(row)
            } catch let e as RowError {
                problems.append(EvalProblem(dataset: info.name, file: file, line: n + 1, reason: e.reason))
            }
        }
        return EvalDataset(info: info, file: file, rows: rows, problems: problems, fileSHA256: sha)
    }

    /// Why an image path may not be used, or nil: a NUL byte (it would cut the path short), an
    /// absolute path, or `..` components climbing above the images root (unless `allowOutsideRoot`).
    public static func pathProblem(_ path: String, allowOutsideRoot: Bool) -> String? {
        if path.utf8.contains(0) { return "image path '\(path)' contains a NUL byte" }
        if allowOutsideRoot { return nil }
        if path.hasPrefix("/") { return "image path '\(path)' is absolute; paths must be relative to the images root" }
        var depth = 0
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == ".." { depth -= 1 } else if part != "." { depth += 1 }
            if depth < 0 { return "image path '\(path)' climbs out of the images root" }
        }
        return nil
    }

    /// An image path as the file system sees it.
    public static func resolve(_ path: String, root: String) -> String {
        path.hasPrefix("/") ? path : root + "/" + path
    }

    struct RowError: Error {
        var reason: String
        init(_ reason: String) { self.reason = reason }
    }

    static func parseRow(_ line: String, line number: Int) throws(RowError) -> EvalRow {
        let json: JSONValue
        do { json = try JSONParser.parse(line) } catch { throw RowError("malformed JSON: \(error.description)") }
        guard json.objectValue != nil else { throw RowError("a row must be a JSON object") }
        guard let queryText = json["qry_text"]?.stringValue else { throw RowError("\"qry_text\" must be a string") }
        let queryImage = try optionalPath(json["qry_img_path"], field: "qry_img_path")
        guard let targetValues = json["tgt_text"]?.arrayValue else { throw RowError("\"tgt_text\" must be an array of strings") }
        var texts: [String] = []
        for v in targetValues {
            guard let s = v.stringValue else { throw RowError("\"tgt_text\" must hold strings only") }
            texts.append(s)
        }
        var images = [String](repeating: "", count: texts.count)
        if let imageValue = json["tgt_img_path"], imageValue != .null {
            guard let list = imageValue.arrayValue else { throw RowError("\"tgt_img_path\" must be an array of paths") }
            guard list.count == texts.count else {
                throw RowError("\"tgt_text\" has \(texts.count) candidates but \"tgt_img_path\" has \(list.count)")
            }
            images = try list.map { v throws(RowError) in try optionalPath(v, field: "tgt_img_path") }
        }
        guard !texts.isEmpty else { throw RowError("row has no candidates") }
        let query = EvalInput(text: queryText, imagePath: queryImage)
        guard !query.text.isEmpty || query.hasImage else { throw RowError("query has neither text nor image") }
        let candidates = zip(texts, images).map { EvalInput(text: $0, imagePath: $1) }
        if let empty = candidates.firstIndex(where: { $0.text.isEmpty && !$0.hasImage }) {
            throw RowError("candidate \(empty) has neither text nor image")
        }
        return EvalRow(line: number, query: query, candidates: candidates)
    }

    static func optionalPath(_ value: JSONValue?, field: String) throws(RowError) -> String {
        switch value {
        case nil, .null?: return ""
        case .string(let s)?: return s
        default: throw RowError("\"\(field)\" must be a path string, \"\" or null")
        }
    }
}
