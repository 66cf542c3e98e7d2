/// Collects named intermediate tensors of a forward pass (`embed --trace`), under the names
/// `cases.json` uses (`inputs_embeds`, `layer_output.i`, `final_norm`, `vision_hidden`, …).
/// Disabled traces cost nothing: producers check `isEnabled` before copying.
public final class Trace: @unchecked Sendable {
    public struct Entry: Sendable {
        public let name: String
        public let shape: [Int]
        public let values: [Float]
    }

    public let isEnabled: Bool
    public private(set) var entries: [Entry] = []

    public init(enabled: Bool = true) { isEnabled = enabled }

    /// A trace that records nothing.
    public static var disabled: Trace { Trace(enabled: false) }

    public func record(_ name: String, shape: [Int], _ values: [Float]) {
        guard isEnabled else { return }
        precondition(shape.reduce(1, *) == values.count, "trace \(name): shape does not match value count")
        entries.append(Entry(name: name, shape: shape, values: values))
    }

    public func record(_ name: String, shape: [Int], _ pointer: UnsafePointer<Float>) {
        guard isEnabled else { return }
        let n = shape.reduce(1, *)
        entries.append(Entry(name: name, shape: shape, values: Array(UnsafeBufferPointer(start: pointer, count: n))))
    }

    /// The first entry with this name.
    public func entry(_ name: String) -> Entry? { entries.first { $0.name == name } }
}
