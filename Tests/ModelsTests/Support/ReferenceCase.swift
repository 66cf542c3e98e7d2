import Foundation
import TensorFormats

/// One upstream reference case (`Fixtures/reference/cases.json` + its safetensors), with the
/// storage modes of its tensors resolved: full, rows (index_select), flat samples, aliases.
struct ReferenceCase {
    static let repoRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()
    static let referenceRoot = repoRoot + "/Fixtures/reference"
    static let modelsRoot = repoRoot + "/Fixtures/models"

    static let casesJSON: JSONValue = {
        do { return try JSONParser.parse(contentsOf: referenceRoot + "/cases.json") } catch {
            fatalError("cannot read cases.json: \(error)")
        }
    }()

    static func all(backbone: String) -> [ReferenceCase] {
        (casesJSON["cases"]?.arrayValue ?? []).filter { $0["backbone"]?.stringValue == backbone }.compactMap { try? ReferenceCase($0) }
    }

    static func named(_ id: String) throws -> ReferenceCase {
        guard let c = (casesJSON["cases"]?.arrayValue ?? []).first(where: { $0["id"]?.stringValue == id }) else {
            throw FormatError("cases.json", "no case \(id)")
        }
        return try ReferenceCase(c)
    }

    let json: JSONValue
    let id: String
    let backbone: String
    let file: SafetensorsFile

    init(_ json: JSONValue) throws {
        self.json = json
        id = json["id"]?.stringValue ?? "?"
        backbone = json["backbone"]?.stringValue ?? "?"
        file = try SafetensorsFile(path: Self.referenceRoot + "/" + (json["file"]?.stringValue ?? ""))
    }

    var rows: [JSONValue] { json["rows"]?.arrayValue ?? [] }
    var paddingSide: String { json["padding_side"]?.stringValue ?? "right" }
    var ropeFactorList: String? { json["rope_factor_list"]?.stringValue }

    func info(_ name: String) -> JSONValue? { json["tensors"]?[name] }

    func shape(_ name: String) -> [Int] { info(name)?["shape"]?.arrayValue?.compactMap { $0.intValue } ?? [] }

    /// Integer tensor values (input_ids, attention_mask, image_sizes, index tensors).
    func ints(_ name: String) throws -> [Int] {
        let d = try file.tensorData(named: name)
        guard case .dense(.i64) = d.descriptor.encoding else { return try d.floats().map { Int($0) } }
        return (0..<d.descriptor.elementCount).map { Int(d.bytes.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self)) }
    }

    /// How a float tensor is stored.
    enum Stored {
        case full([Float])
        case rows(axis: Int, index: [Int], values: [Float])
        case flat(index: [Int], values: [Float])
    }

    /// The stored data of a float tensor (following aliases); nil when the case has no such tensor.
    func stored(_ name: String) throws -> Stored? {
        guard var info = info(name) else { return nil }
        var name = name
        if let target = info["alias_of"]?.stringValue {
            name = target
            guard let i2 = self.info(target) else { return nil }
            info = i2
        }
        switch info["storage"]?.stringValue {
        case "full": return .full(try file.floats(named: name))
        case "rows":
            return .rows(axis: info["axis"]?.intValue ?? 0, index: try ints(info["index"]?.stringValue ?? ""),
                         values: try file.floats(named: info["stored_as"]?.stringValue ?? name + "::rows"))
        case "flat_sample":
            return .flat(index: try ints(info["index"]?.stringValue ?? ""),
                         values: try file.floats(named: info["stored_as"]?.stringValue ?? name + "::values"))
        default: return nil
        }
    }

    /// Full shape of the tensor a name refers to (following aliases).
    func fullShape(_ name: String) -> [Int] {
        if let t = info(name)?["alias_of"]?.stringValue { return shape(t) }
        return shape(name)
    }
}

/// Compares our tensor (full, `shape`) with a stored reference: returns (max abs error, max |ref|, compared count).
func compare(ours: [Float], shape: [Int], with stored: ReferenceCase.Stored, select: ((Int) -> Bool)? = nil) -> (error: Float, scale: Float, count: Int) {
    var maxErr: Float = 0, maxRef: Float = 0, n = 0
    func visit(_ flat: Int, _ ref: Float) {
        if let select, !select(flat) { return }
        maxErr = max(maxErr, abs(ours[flat] - ref))
        maxRef = max(maxRef, abs(ref))
        n += 1
    }
    switch stored {
    case .full(let v):
        for i in 0..<min(v.count, ours.count) { visit(i, v[i]) }
    case .flat(let index, let v):
        for (k, i) in index.enumerated() where i < ours.count { visit(i, v[k]) }
    case .rows(let axis, let index, let v):
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *)
        let dim = shape[axis]
        for o in 0..<outer {
            for (k, r) in index.enumerated() where r < dim {
                for i in 0..<inner {
                    let flat = (o * dim + r) * inner + i
                    let ref = v[(o * index.count + k) * inner + i]
                    if flat < ours.count { visit(flat, ref) }
                }
            }
        }
    }
    return (maxErr, maxRef, n)
}

func cosine(_ a: [Float], _ b: [Float]) -> Double {
    var dot = 0.0, na = 0.0, nb = 0.0
    for i in 0..<min(a.count, b.count) { dot += Double(a[i]) * Double(b[i]); na += Double(a[i] * a[i]); nb += Double(b[i] * b[i]) }
    return dot / max((na * nb).squareRoot(), 1e-30)
}
