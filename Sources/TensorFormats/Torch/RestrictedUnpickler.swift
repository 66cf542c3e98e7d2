/// A pickle reader that only builds data: Python scalars, strings, bytes, lists, tuples,
/// dicts (including `collections.OrderedDict`), sets, and PyTorch tensors/storages.
///
/// It implements the opcodes of protocols 2–5 that `torch.save` and common picklers emit.
/// A `GLOBAL`/`STACK_GLOBAL` naming anything but the few rebuild helpers, storage types and
/// dtypes a checkpoint needs is refused on the spot with a one-line `FormatError` naming the
/// global; opcodes that would construct arbitrary objects (`INST`, `OBJ`, `NEWOBJ`, `EXT*`, …)
/// are refused by name. Nothing is ever executed: `REDUCE` on an allowed rebuild helper just
/// records a `TorchTensor` description. Nesting depth and result size are bounded by `limits`.
public struct RestrictedUnpickler: Sendable {
    /// The file named in errors.
    public let file: String
    public var limits: UnpicklerLimits

    public init(file: String, limits: UnpicklerLimits = UnpicklerLimits()) {
        self.file = file
        self.limits = limits
    }

    /// Unpickles `bytes` (one pickle, up to its `STOP`).
    public func unpickle(_ bytes: UnsafeRawBufferPointer) throws -> PickleValue {
        var machine = PickleMachine(reader: ByteReader(bytes, file: file), limits: limits)
        let result = try machine.run()
        return try machine.convert(result, depth: 0)
    }

    /// Unpickles a byte array.
    public func unpickle(_ bytes: [UInt8]) throws -> PickleValue {
        try bytes.withUnsafeBytes { try unpickle($0) }
    }
}

/// The opcode interpreter. Value semantics for the stack; containers are `PickleBox` references.
struct PickleMachine {
    var r: ByteReader
    let limits: UnpicklerLimits
    let rebuild: TorchRebuilder
    var stack: [PickleObject] = []
    var marks: [Int] = []
    var memo: [Int: PickleObject] = [:]
    var file: String { r.file }

    init(reader: ByteReader, limits: UnpicklerLimits) {
        r = reader
        self.limits = limits
        rebuild = TorchRebuilder(file: reader.file)
    }

    func fail(_ problem: String) -> FormatError { FormatError(file, problem) }

    // MARK: stack

    mutating func push(_ o: PickleObject) { stack.append(o) }

    mutating func pop(_ op: UInt8) throws -> PickleObject {
        guard stack.count > (marks.last ?? 0) else {
            throw fail("pickle stack underflow at \(PickleOpcode.describe(op)) (offset \(r.offset - 1))")
        }
        return stack.removeLast()
    }

    mutating func top(_ op: UInt8) throws -> PickleObject {
        guard stack.count > (marks.last ?? 0), let t = stack.last else {
            throw fail("pickle stack underflow at \(PickleOpcode.describe(op)) (offset \(r.offset - 1))")
        }
        return t
    }

    mutating func popMark(_ op: UInt8) throws -> [PickleObject] {
        guard let m = marks.popLast() else {
            throw fail("pickle \(PickleOpcode.describe(op)) at offset \(r.offset - 1) has no MARK")
        }
        let items = Array(stack[m...])
        stack.removeSubrange(m...)
        return items
    }

    // MARK: building with limits

    func makeTuple(_ items: [PickleObject]) throws -> PickleObject {
        var depth = 0, size = 1
        for item in items {
            item.seal()
            depth = max(depth, item.depth)
            size = size &+ item.size
            if size > limits.maxNodes || size < 0 { throw tooLarge() }
        }
        guard depth < limits.maxDepth else { throw tooDeep() }
        return .tuple(items, depth: depth + 1, size: size)
    }

    func tooDeep() -> FormatError { fail("pickle nests containers deeper than \(limits.maxDepth) levels") }
    func tooLarge() -> FormatError { fail("pickle builds more than \(limits.maxNodes) values") }

    func container(_ o: PickleObject, _ kinds: Set<PickleBox.Kind>, _ op: UInt8) throws -> PickleBox {
        guard case .box(let b) = o, kinds.contains(b.kind) else {
            throw fail("pickle \(PickleOpcode.describe(op)) applied to a \(o.kindName)")
        }
        guard !b.sealed else {
            throw fail("pickle \(PickleOpcode.describe(op)) modifies a \(b.kind.rawValue) after nesting it (recursive structures are not supported)")
        }
        return b
    }

    func adopt(_ child: PickleObject, into b: PickleBox) throws {
        child.seal()
        guard !b.sealed else { throw fail("pickle puts a \(b.kind.rawValue) inside itself (recursive structures are not supported)") }
        guard child.depth < limits.maxDepth else { throw tooDeep() }
        b.depth = max(b.depth, child.depth + 1)
        b.size = b.size &+ child.size
        if b.size > limits.maxNodes || b.size < 0 { throw tooLarge() }
    }

    func append(_ item: PickleObject, to b: PickleBox) throws {
        try adopt(item, into: b)
        b.items.append(item)
    }

    func setItem(_ key: PickleObject, _ value: PickleObject, in b: PickleBox) throws {
        try adopt(key, into: b)
        try adopt(value, into: b)
        if let k = PickleKey(key), let i = b.keyIndex[k] {
            b.size -= b.items[i].size + key.size
            b.items[i] = value
        } else {
            if let k = PickleKey(key) { b.keyIndex[k] = b.keys.count }
            b.keys.append(key)
            b.items.append(value)
        }
    }

    // MARK: reading operands

    mutating func length(_ n: some FixedWidthInteger, _ what: String) throws -> Int {
        guard let len = Int(exactly: n), len >= 0, len <= r.remaining else {
            throw fail("pickle \(what) length \(n) at offset \(r.offset) exceeds the \(r.remaining) bytes left")
        }
        return len
    }

    mutating func utf8(_ n: Int, _ what: String) throws -> String {
        try r.readUTF8(n, "pickle \(what)")
    }

    mutating func line(_ what: String) throws -> String {
        var bytes: [UInt8] = []
        while true {
            let b = try r.read(UInt8.self, "pickle GLOBAL \(what)")
            if b == 0x0A { break }
            bytes.append(b)
            if bytes.count > limits.maxGlobalLength {
                throw fail("pickle GLOBAL \(what) is longer than \(limits.maxGlobalLength) bytes")
            }
        }
        guard let s = String(validating: bytes, as: UTF8.self) else {
            throw fail("pickle GLOBAL \(what) is not valid UTF-8")
        }
        return s
    }

    mutating func memoGet(_ index: Int) throws -> PickleObject {
        guard let o = memo[index] else { throw fail("pickle reads memo slot \(index), which was never set") }
        return o
    }

    mutating func memoPut(_ index: Int, _ op: UInt8) throws {
        memo[index] = try top(op)
    }

    /// Two's-complement little-endian integer (LONG1/LONG4).
    func long(_ bytes: UnsafeRawBufferPointer) -> PickleValue {
        guard !bytes.isEmpty else { return .int(0) }
        let negative = bytes[bytes.count - 1] & 0x80 != 0
        if bytes.count <= 8 {
            var v: UInt64 = negative ? ~0 : 0
            for (i, b) in bytes.enumerated() {
                v &= ~(UInt64(0xFF) << (8 * i))
                v |= UInt64(b) << (8 * i)
            }
            return .int(Int(Int64(bitPattern: v)))
        }
        return .bigInt(Array(bytes))
    }

    // MARK: the loop

    mutating func run() throws -> PickleObject {
        while true {
            let at = r.offset
            guard r.remaining > 0 else { throw fail("pickle ends at offset \(at) without STOP (truncated)") }
            let op = try r.read(UInt8.self, "pickle opcode")
            switch op {
            case 0x80: // PROTO
                let v = try r.read(UInt8.self, "pickle protocol")
                guard v <= 5 else { throw fail("pickle protocol \(v) is newer than 5") }
            case 0x95: // FRAME
                _ = try length(try r.read(UInt64.self, "pickle frame length"), "frame")
            case 0x2E: // STOP
                return try pop(op)
            case 0x28: // MARK
                marks.append(stack.count)
            case 0x30: // POP
                _ = try pop(op)
            case 0x31: // POP_MARK
                _ = try popMark(op)
            case 0x32: // DUP
                push(try top(op))

            case 0x4E: push(.value(.none))
            case 0x88: push(.value(.bool(true)))
            case 0x89: push(.value(.bool(false)))
            case 0x4A: push(.value(.int(Int(try r.read(Int32.self, "pickle BININT")))))
            case 0x4B: push(.value(.int(Int(try r.read(UInt8.self, "pickle BININT1")))))
            case 0x4D: push(.value(.int(Int(try r.read(UInt16.self, "pickle BININT2")))))
            case 0x8A: // LONG1
                let n = try length(try r.read(UInt8.self, "pickle LONG1 length"), "LONG1")
                push(.value(long(try r.readBytes(n, "pickle LONG1"))))
            case 0x8B: // LONG4
                let n = try length(try r.read(Int32.self, "pickle LONG4 length"), "LONG4")
                push(.value(long(try r.readBytes(n, "pickle LONG4"))))
            case 0x47: // BINFLOAT: big-endian
                let bits = UInt64(bigEndian: try r.read(UInt64.self, "pickle BINFLOAT").littleEndian)
                push(.value(.float(Double(bitPattern: bits))))

            case 0x58: // BINUNICODE
                let n = try length(try r.read(UInt32.self, "pickle BINUNICODE length"), "BINUNICODE")
                push(.value(.string(try utf8(n, "BINUNICODE"))))
            case 0x8C: // SHORT_BINUNICODE
                let n = try length(try r.read(UInt8.self, "pickle SHORT_BINUNICODE length"), "SHORT_BINUNICODE")
                push(.value(.string(try utf8(n, "SHORT_BINUNICODE"))))
            case 0x8D: // BINUNICODE8
                let n = try length(try r.read(UInt64.self, "pickle BINUNICODE8 length"), "BINUNICODE8")
                push(.value(.string(try utf8(n, "BINUNICODE8"))))
            case 0x54, 0x55: // BINSTRING, SHORT_BINSTRING (Python 2 str)
                let n = op == 0x54
                    ? try length(try r.read(Int32.self, "pickle BINSTRING length"), "BINSTRING")
                    : try length(try r.read(UInt8.self, "pickle SHORT_BINSTRING length"), "SHORT_BINSTRING")
                let raw = try r.readBytes(n, "pickle string")
                if let s = String(validating: raw, as: UTF8.self) { push(.value(.string(s))) } else { push(.value(.bytes(Array(raw)))) }
            case 0x42, 0x43, 0x8E, 0x96: // BINBYTES, SHORT_BINBYTES, BINBYTES8, BYTEARRAY8
                let n: Int
                switch op {
                case 0x42: n = try length(try r.read(UInt32.self, "pickle BINBYTES length"), "BINBYTES")
                case 0x43: n = try length(try r.read(UInt8.self, "pickle SHORT_BINBYTES length"), "SHORT_BINBYTES")
                default: n = try length(try r.read(UInt64.self, "pickle BINBYTES8 length"), "BINBYTES8")
                }
                push(.value(.bytes(Array(try r.readBytes(n, "pickle bytes")))))

            case 0x29: push(try makeTuple([]))
            case 0x85, 0x86, 0x87: // TUPLE1-3
                let n = Int(op - 0x84)
                var items: [PickleObject] = []
                for _ in 0..<n { items.append(try pop(op)) }
                push(try makeTuple(items.reversed()))
            case 0x74: push(try makeTuple(try popMark(op)))
            case 0x5D: push(.box(PickleBox(.list)))
            case 0x7D: push(.box(PickleBox(.dict)))
            case 0x8F: push(.box(PickleBox(.set)))
            case 0x6C: // LIST
                let items = try popMark(op)
                let b = PickleBox(.list)
                for i in items { try append(i, to: b) }
                push(.box(b))
            case 0x91: // FROZENSET
                let items = try popMark(op)
                let b = PickleBox(.set)
                for i in items { try append(i, to: b) }
                push(.box(b))
            case 0x64: // DICT
                let items = try popMark(op)
                guard items.count % 2 == 0 else { throw fail("pickle DICT has an odd number of items") }
                let b = PickleBox(.dict)
                for i in stride(from: 0, to: items.count, by: 2) { try setItem(items[i], items[i + 1], in: b) }
                push(.box(b))
            case 0x61: // APPEND
                let v = try pop(op)
                try append(v, to: try container(try top(op), [.list], op))
            case 0x65: // APPENDS
                let items = try popMark(op)
                let b = try container(try top(op), [.list], op)
                for i in items { try append(i, to: b) }
            case 0x90: // ADDITEMS
                let items = try popMark(op)
                let b = try container(try top(op), [.set], op)
                for i in items { try append(i, to: b) }
            case 0x73: // SETITEM
                let v = try pop(op)
                let k = try pop(op)
                try setItem(k, v, in: try container(try top(op), [.dict, .orderedDict], op))
            case 0x75: // SETITEMS
                let items = try popMark(op)
                guard items.count % 2 == 0 else { throw fail("pickle SETITEMS has an odd number of items") }
                let b = try container(try top(op), [.dict, .orderedDict], op)
                for i in stride(from: 0, to: items.count, by: 2) { try setItem(items[i], items[i + 1], in: b) }

            case 0x71: try memoPut(Int(try r.read(UInt8.self, "pickle BINPUT")), op)
            case 0x72: try memoPut(Int(try r.read(UInt32.self, "pickle LONG_BINPUT")), op)
            case 0x94: try memoPut(memo.count, op)
            case 0x68: push(try memoGet(Int(try r.read(UInt8.self, "pickle BINGET"))))
            case 0x6A: push(try memoGet(Int(try r.read(UInt32.self, "pickle LONG_BINGET"))))

            case 0x63: // GLOBAL
                let module = try line("module")
                let name = try line("name")
                push(.global(try AllowedGlobal.resolve(module: module, name: name, file: file)))
            case 0x93: // STACK_GLOBAL
                let name = try pop(op)
                let module = try pop(op)
                guard case .value(.string(let n)) = name, case .value(.string(let m)) = module else {
                    throw fail("pickle STACK_GLOBAL needs two strings, got \(module.kindName) and \(name.kindName)")
                }
                push(.global(try AllowedGlobal.resolve(module: m, name: n, file: file)))
            case 0x52: // REDUCE
                let args = try pop(op)
                let callable = try pop(op)
                guard case .global(let g) = callable else {
                    throw fail("pickle REDUCE calls a \(callable.kindName), which is not an allowed function")
                }
                guard case .tuple(let items, _, _) = args else {
                    throw fail("pickle REDUCE arguments for \(g.qualifiedName) are a \(args.kindName), not a tuple")
                }
                push(try rebuild.apply(g, items))
            case 0x51: // BINPERSID
                push(try rebuild.persistentLoad(try pop(op)))
            case 0x62: // BUILD
                let state = try pop(op)
                let target = try top(op)
                guard case .box(let b) = target, b.kind == .orderedDict else {
                    throw fail("pickle BUILD sets state on a \(target.kindName); only OrderedDict state is allowed")
                }
                guard !b.sealed, b.attributes == nil else { throw fail("pickle BUILD sets OrderedDict state twice or after nesting it") }
                if case .value(.none) = state { break }
                try adopt(state, into: b)
                b.attributes = state
            default:
                throw fail("unsupported pickle opcode \(PickleOpcode.describe(op)) at offset \(at); only tensors and dicts of tensors are allowed")
            }
        }
    }

    // MARK: conversion

    /// Turns working objects into `PickleValue`s. Depth and total size were bounded while building.
    func convert(_ o: PickleObject, depth: Int) throws -> PickleValue {
        guard depth <= limits.maxDepth else { throw tooDeep() }
        switch o {
        case .value(let v):
            return v
        case .global(let g):
            let parts = g.qualifiedName.split(separator: ".")
            return .global(module: parts.dropLast().joined(separator: "."), name: String(parts.last ?? ""))
        case .tuple(let items, _, _):
            return .tuple(try items.map { try convert($0, depth: depth + 1) })
        case .box(let b):
            switch b.kind {
            case .list: return .list(try b.items.map { try convert($0, depth: depth + 1) })
            case .set: return .set(try b.items.map { try convert($0, depth: depth + 1) })
            case .dict, .orderedDict:
                var entries: [PickleDictEntry] = []
                entries.reserveCapacity(b.keys.count)
                for (k, v) in zip(b.keys, b.items) {
                    entries.append(PickleDictEntry(key: try convert(k, depth: depth + 1), value: try convert(v, depth: depth + 1)))
                }
                return .dict(PickleDict(entries: entries, isOrderedDict: b.kind == .orderedDict,
                                        attributes: try b.attributes.map { try convert($0, depth: depth + 1) }))
            }
        }
    }
}
