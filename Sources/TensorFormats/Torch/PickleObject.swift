/// The unpickler's working objects. Lists, dicts and sets are reference boxes so that memo
/// references see later `APPEND`/`SETITEM`s, as Python's do. Each object knows its nesting depth
/// and its size as a tree (shared objects counted each time), so limits are enforced while
/// building, before anything is converted into a `PickleValue`.
///
/// A container is *sealed* once it becomes part of another object; mutating a sealed container
/// is refused. Real pickles only fill a container before nesting it; the rule excludes
/// reference cycles and keeps the recorded depths exact.
indirect enum PickleObject {
    case value(PickleValue)
    case tuple([PickleObject], depth: Int, size: Int)
    case box(PickleBox)
    /// An allowed global, not yet applied.
    case global(AllowedGlobal)

    var depth: Int {
        switch self {
        case .value, .global: return 1
        case .tuple(_, let d, _): return d
        case .box(let b): return b.depth
        }
    }

    var size: Int {
        switch self {
        case .value, .global: return 1
        case .tuple(_, _, let s): return s
        case .box(let b): return b.size
        }
    }

    /// Marks a container as nested (no longer mutable).
    func seal() {
        if case .box(let b) = self { b.sealed = true }
    }

    var kindName: String {
        switch self {
        case .value(let v): return v.kindName
        case .tuple: return "tuple"
        case .box(let b): return b.kind.rawValue
        case .global(let g): return g.qualifiedName
        }
    }
}

/// Key identity for dict keys that Python would hash equal (strings and ints); other keys are kept as given.
enum PickleKey: Hashable {
    case string(String)
    case int(Int)

    init?(_ o: PickleObject) {
        switch o {
        case .value(.string(let s)): self = .string(s)
        case .value(.int(let i)): self = .int(i)
        case .value(.bool(let b)): self = .int(b ? 1 : 0)
        default: return nil
        }
    }
}

/// A mutable list, dict or set under construction.
final class PickleBox {
    enum Kind: String { case list, dict, orderedDict = "OrderedDict", set }

    let kind: Kind
    var items: [PickleObject] = []
    var keys: [PickleObject] = []
    var keyIndex: [PickleKey: Int] = [:]
    var attributes: PickleObject?
    var sealed = false
    var depth = 1
    var size = 1

    init(_ kind: Kind) { self.kind = kind }
}

/// Limits on what a pickle may build.
public struct UnpicklerLimits: Sendable {
    /// Deepest container nesting.
    public var maxDepth: Int
    /// Most values in the resulting tree (a shared object counts once per reference).
    public var maxNodes: Int
    /// Longest `GLOBAL` module/name line.
    public var maxGlobalLength: Int

    public init(maxDepth: Int = 100, maxNodes: Int = 4_000_000, maxGlobalLength: Int = 256) {
        self.maxDepth = maxDepth
        self.maxNodes = maxNodes
        self.maxGlobalLength = maxGlobalLength
    }
}
