import Foundation

/// What `vlmembed inspect` tells about a checkpoint: format, architecture, counts, bytes by
/// storage type and the tensor table. Built from headers only.
public struct InspectReport: Sendable {
    public var path: String
    public var format: String
    public var architecture: String?
    public var tensors: [TensorDescriptor]

    public init(path: String, source: any TensorSource) {
        self.path = path
        format = source.formatName
        architecture = source.architecture
        tensors = source.tensors
    }

    /// Elements over all tensors (saturating at `Int.max`: each tensor's count fits, their sum
    /// need not — a GGUF may declare huge tensors with a zero dimension).
    public var parameterCount: Int { TensorDescriptor.totalElements(tensors) }

    /// Total bytes per storage type name, sorted by name.
    public var bytesByType: [(String, Int)] {
        var totals: [String: Int] = [:]
        for t in tensors { totals[t.encoding.name, default: 0] += t.byteCount }
        return totals.sorted { $0.key < $1.key }
    }

    /// `{"format", "architecture", "parameters", "tensors": [{"name", "shape", "dtype"}]}`
    /// plus `tensor_count` and `bytes_by_dtype`.
    public var json: JSONValue {
        .object([
            ("format", .string(format)),
            ("architecture", architecture.map { .string($0) } ?? .null),
            ("parameters", .int(parameterCount)),
            ("tensor_count", .int(tensors.count)),
            ("bytes_by_dtype", .object(bytesByType.map { ($0.0, .int($0.1)) })),
            ("tensors", .array(tensors.map { t in
                .object([
                    ("name", .string(t.name)),
                    ("shape", .array(t.shape.map { .int($0) })),
                    ("dtype", .string(t.encoding.name)),
                ])
            })),
        ])
    }

    /// A human-readable summary followed by the tensor table.
    public var text: String {
        var lines: [String] = []
        lines.append("\(path)")
        lines.append("  format        \(format)")
        lines.append("  architecture  \(architecture ?? "(not declared)")")
        lines.append("  tensors       \(tensors.count)")
        lines.append("  parameters    \(parameterCount) (\(InspectReport.humanCount(parameterCount)))")
        for (name, bytes) in bytesByType {
            lines.append("  \(name.padding(toLength: 12, withPad: " ", startingAt: 0))  \(InspectReport.humanBytes(bytes))")
        }
        lines.append("")
        let width = min(max(tensors.map { $0.name.count }.max() ?? 4, 4), 72)
        lines.append("  " + "name".padding(toLength: width, withPad: " ", startingAt: 0) + "  dtype    shape")
        for t in tensors {
            let shape = "[" + t.shape.map(String.init).joined(separator: ", ") + "]"
            lines.append("  " + t.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                + t.encoding.name.padding(toLength: 7, withPad: " ", startingAt: 0) + "  " + shape)
        }
        return lines.joined(separator: "\n")
    }

    static func humanCount(_ n: Int) -> String {
        let d = Double(n)
        if d >= 1e9 { return String(format: "%.2fB", d / 1e9) }
        if d >= 1e6 { return String(format: "%.2fM", d / 1e6) }
        if d >= 1e3 { return String(format: "%.1fK", d / 1e3) }
        return "\(n)"
    }

    static func humanBytes(_ n: Int) -> String {
        let d = Double(n)
        if n >= 1 << 30 { return String(format: "%.2f GiB", d / Double(1 << 30)) }
        if n >= 1 << 20 { return String(format: "%.2f MiB", d / Double(1 << 20)) }
        if n >= 1 << 10 { return String(format: "%.1f KiB", d / Double(1 << 10)) }
        return "\(n) B"
    }
}
