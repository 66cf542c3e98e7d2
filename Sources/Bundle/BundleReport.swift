import ModelGraph
import TensorFormats

/// What `inspect` prints for a bundle: format version, architecture, schemes, head, files, and
/// bytes and tensor counts per scheme, then the tensor table.
public struct BundleReport {
    public let bundle: BundleFile

    public init(bundle: BundleFile) { self.bundle = bundle }

    private var byScheme: [(String, Int, Int)] {
        var order: [String] = [], count: [String: Int] = [:], bytes: [String: Int] = [:]
        for t in bundle.manifest.tensors {
            let k = t.scheme.name
            if count[k] == nil { order.append(k) }
            count[k, default: 0] += 1
            bytes[k, default: 0] += t.byteCount
        }
        return order.map { ($0, count[$0] ?? 0, bytes[$0] ?? 0) }
    }

    public var text: String {
        let m = bundle.manifest
        var lines = [
            "file          \(bundle.path)",
            "format        vlmb \(bundle.header.major).\(bundle.header.minor) (\(m.generator))",
            "architecture  \(m.architecture.rawValue)",
            "schemes       decoder \(m.plan.decoder.name), vision \(m.plan.vision.name), other: source dtype"
                + (m.plan.hasInt4 ? "; int4 weights take \(m.plan.int4Inputs.rawValue) inputs, coded by \(m.plan.int4Method.rawValue)" : ""),
            "head          \(m.head.pooling.rawValue) pooling, \(m.head.normalize ? "L2-normalised" : "not normalised"), image marker \(m.head.imageMarker)",
            "source        \(m.sourcePath)" + (m.adapterPath.map { " + adapter \($0) (\(m.mergedModules) modules merged)" } ?? ""),
            "files         " + m.files.map { $0.name }.joined(separator: ", "),
            "tensors       \(m.tensors.count), \(bundle.header.fileLength) bytes",
        ]
        for (scheme, n, bytes) in byScheme { lines.append("  \(scheme.padding(toLength: 16, withPad: " ", startingAt: 0)) \(n) tensors, \(bytes) bytes") }
        lines.append("")
        for t in m.tensors {
            lines.append("\(t.name.padding(toLength: 60, withPad: " ", startingAt: 0)) \(t.scheme.name.padding(toLength: 16, withPad: " ", startingAt: 0)) \(t.shape)")
        }
        return lines.joined(separator: "\n")
    }

    public var json: JSONValue {
        let m = bundle.manifest
        return .object([
            ("path", .string(bundle.path)), ("format", .string("vlmb")),
            ("format_version", .string("\(bundle.header.major).\(bundle.header.minor)")),
            ("architecture", .string(m.architecture.rawValue)),
            ("quantization", .object([("decoder", .string(m.plan.decoder.name)), ("vision", .string(m.plan.vision.name)),
                                      ("int4_inputs", .string(m.plan.int4Inputs.rawValue)), ("int4_method", .string(m.plan.int4Method.rawValue))])),
            ("file_bytes", .int(Int(bundle.header.fileLength))),
            ("by_scheme", .object(byScheme.map { ($0.0, .object([("tensors", .int($0.1)), ("bytes", .int($0.2))])) })),
            ("files", .array(m.files.map { .string($0.name) })),
            ("tensors", .array(m.tensors.map { t in
                .object([("name", .string(t.name)), ("shape", .array(t.shape.map { .int($0) })), ("scheme", .string(t.scheme.name)), ("role", .string(t.role.rawValue))])
            })),
        ])
    }
}
