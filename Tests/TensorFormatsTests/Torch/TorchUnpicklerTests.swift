import Testing
@testable import TensorFormats

/// Hand-assembled pickles for the restricted unpickler.
enum TorchPickleBytes {
    static func proto(_ v: UInt8) -> [UInt8] { [0x80, v] }
    static func uni(_ s: String) -> [UInt8] {
        let b = Array(s.utf8)
        return [0x58] + le32(UInt32(b.count)) + b
    }
    static func short(_ s: String) -> [UInt8] { [0x8C, UInt8(s.utf8.count)] + Array(s.utf8) }
    static func global(_ m: String, _ n: String) -> [UInt8] { [0x63] + Array("\(m)\n\(n)\n".utf8) }
    static func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    static func binint(_ v: Int32) -> [UInt8] { [0x4A] + le32(UInt32(bitPattern: v)) }
    static let mark: [UInt8] = [0x28], tuple: [UInt8] = [0x74], stop: [UInt8] = [0x2E]
    static let emptyTuple: [UInt8] = [0x29], reduce: [UInt8] = [0x52], setitems: [UInt8] = [0x75]
}

@Suite("Restricted unpickler")
struct TorchUnpicklerTests {
    let u = RestrictedUnpickler(file: "test.pkl")

    func refuse(_ bytes: [UInt8], containing text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let e = TorchFixtures.expectFormatError({ _ = try u.unpickle(bytes) }, sourceLocation: sourceLocation)
        #expect(e?.file == "test.pkl", sourceLocation: sourceLocation)
        #expect(e?.problem.contains(text) == true, "\(e?.problem ?? "nil")", sourceLocation: sourceLocation)
    }

    @Test func plainValues() throws {
        // {'a': [1, -2, 300, 2.5, 'x', b'y', None, True, False], 'b': (1,), 'c': {'d': 70000}}
        var b = TorchPickleBytes.proto(2) + [0x7D, 0x71, 0x00] + TorchPickleBytes.mark
        b += TorchPickleBytes.uni("a") + [0x5D] + TorchPickleBytes.mark + [0x4B, 1] + TorchPickleBytes.binint(-2) + [0x4D, 0x2C, 0x01]
        b += [0x47, 0x40, 0x04, 0, 0, 0, 0, 0, 0] + TorchPickleBytes.short("x") + [0x43, 1, 0x79] + [0x4E, 0x88, 0x89, 0x65]
        b += TorchPickleBytes.uni("b") + [0x4B, 1, 0x85]
        b += TorchPickleBytes.uni("c") + [0x7D] + TorchPickleBytes.uni("d") + TorchPickleBytes.binint(70000) + [0x73]
        b += TorchPickleBytes.setitems + TorchPickleBytes.stop
        let v = try u.unpickle(b)
        let expected: PickleValue = .dict(PickleDict(entries: [
            PickleDictEntry(key: .string("a"), value: .list([.int(1), .int(-2), .int(300), .float(2.5), .string("x"),
                                                             .bytes([0x79]), .none, .bool(true), .bool(false)])),
            PickleDictEntry(key: .string("b"), value: .tuple([.int(1)])),
            PickleDictEntry(key: .string("c"), value: .dict(PickleDict(entries: [PickleDictEntry(key: .string("d"), value: .int(70000))]))),
        ]))
        #expect(v == expected)
    }

    @Test func longIntegers() throws {
        #expect(try u.unpickle(TorchPickleBytes.proto(2) + [0x8A, 0] + TorchPickleBytes.stop) == .int(0))
        #expect(try u.unpickle(TorchPickleBytes.proto(2) + [0x8A, 1, 0xFF] + TorchPickleBytes.stop) == .int(-1))
        #expect(try u.unpickle(TorchPickleBytes.proto(2) + [0x8A, 2, 0x00, 0x80] + TorchPickleBytes.stop) == .int(-32768))
        #expect(try u.unpickle(TorchPickleBytes.proto(2) + [0x8A, 8, 0, 0, 0, 0, 0, 0, 0, 0x80] + TorchPickleBytes.stop) == .int(Int.min))
        #expect(try u.unpickle(TorchPickleBytes.proto(2) + [0x8A, 9, 0, 0, 0, 0, 0, 0, 0, 0x80, 0] + TorchPickleBytes.stop)
                == .bigInt([0, 0, 0, 0, 0, 0, 0, 0x80, 0]))
    }

    @Test func memoSharesContainers() throws {
        // d = {}; memo 0; l = [d, d] built after filling d through the memo reference.
        let b = TorchPickleBytes.proto(2) + [0x5D] + [0x7D, 0x71, 0] + TorchPickleBytes.uni("k") + [0x4B, 5, 0x73, 0x61] + [0x68, 0, 0x61] + TorchPickleBytes.stop
        let one: PickleValue = .dict(PickleDict(entries: [PickleDictEntry(key: .string("k"), value: .int(5))]))
        #expect(try u.unpickle(b) == .list([one, one]))
    }

    @Test("opcodes that build arbitrary objects are refused by name", arguments: [
        ([0x28, 0x69] + Array("os\nsystem\n".utf8) + [0x2E], "INST"),
        (TorchPickleBytes.proto(2) + [0x28, 0x6F, 0x2E], "OBJ"),
        (TorchPickleBytes.proto(2) + [0x29, 0x29, 0x81, 0x2E], "NEWOBJ"),
        (TorchPickleBytes.proto(4) + [0x29, 0x29, 0x7D, 0x92, 0x2E], "NEWOBJ_EX"),
        (TorchPickleBytes.proto(2) + [0x82, 0x01, 0x2E], "EXT1"),
        (TorchPickleBytes.proto(2) + [0x83, 0x01, 0x00, 0x2E], "EXT2"),
        (Array("Pfoo\n.".utf8), "PERSID"),
        (Array("I1\n.".utf8), "INT"),
        (TorchPickleBytes.proto(5) + [0x97, 0x2E], "NEXT_BUFFER"),
        (TorchPickleBytes.proto(2) + [0xFF, 0x2E], "0xFF"),
    ] as [([UInt8], String)])
    func refusedOpcodes(_ bytes: [UInt8], _ name: String) {
        refuse(bytes, containing: "unsupported pickle opcode \(name)")
    }

    @Test func forbiddenGlobalsViaBothOpcodes() {
        refuse(TorchPickleBytes.proto(2) + TorchPickleBytes.global("builtins", "getattr") + TorchPickleBytes.stop, containing: "forbidden global builtins.getattr;")
        refuse(TorchPickleBytes.proto(4) + TorchPickleBytes.short("nt") + TorchPickleBytes.short("system") + [0x93, 0x2E], containing: "forbidden global nt.system;")
        // Names with control characters stay on one line.
        refuse(TorchPickleBytes.proto(4) + TorchPickleBytes.short("os\nx") + TorchPickleBytes.short("sys\ttem") + [0x93, 0x2E], containing: "forbidden global os\\u{a}x.sys\\u{9}tem;")
        // A torch-looking name that is not on the list.
        refuse(TorchPickleBytes.proto(2) + TorchPickleBytes.global("torch._utils", "_rebuild_device_tensor_from_numpy") + TorchPickleBytes.stop,
               containing: "forbidden global torch._utils._rebuild_device_tensor_from_numpy;")
        refuse(TorchPickleBytes.proto(2) + TorchPickleBytes.global("torch", "ComplexFloatStorage") + TorchPickleBytes.stop, containing: "storage type torch.ComplexFloatStorage")
    }

    @Test func allowedGlobalsCannotBeMisused() {
        // Calling a storage type, or BUILD on a plain dict.
        refuse(TorchPickleBytes.proto(2) + TorchPickleBytes.global("torch", "FloatStorage") + TorchPickleBytes.emptyTuple + TorchPickleBytes.reduce + TorchPickleBytes.stop, containing: "which a checkpoint never does")
        refuse(TorchPickleBytes.proto(2) + [0x7D, 0x7D, 0x62, 0x2E], containing: "BUILD sets state on a dict")
        refuse(TorchPickleBytes.proto(2) + TorchPickleBytes.global("collections", "OrderedDict") + [0x4B, 1, 0x85] + TorchPickleBytes.reduce + TorchPickleBytes.stop, containing: "OrderedDict() is supported")
        refuse(TorchPickleBytes.proto(2) + TorchPickleBytes.global("torch._utils", "_rebuild_tensor_v2") + TorchPickleBytes.emptyTuple + TorchPickleBytes.reduce + TorchPickleBytes.stop, containing: "called with 0 arguments")
        // REDUCE on something that is not a global.
        refuse(TorchPickleBytes.proto(2) + [0x4B, 1] + TorchPickleBytes.emptyTuple + TorchPickleBytes.reduce + TorchPickleBytes.stop, containing: "REDUCE calls a int")
        // A persistent id that is not a storage tuple.
        refuse(TorchPickleBytes.proto(2) + TorchPickleBytes.uni("x") + [0x51, 0x2E], containing: "persistent id")
    }

    @Test func structuralAbuse() {
        refuse(TorchPickleBytes.proto(2) + [0x5D, 0x71, 0, 0x68, 0, 0x61, 0x2E], containing: "recursive structures")
        refuse(TorchPickleBytes.proto(2) + [0x29] + [UInt8](repeating: 0x85, count: 500) + TorchPickleBytes.stop, containing: "deeper than")
        // A tuple that doubles in size 64 times through the memo.
        var b = TorchPickleBytes.proto(2) + [0x29, 0x71, 0]
        for _ in 0..<64 { b += [0x30, 0x68, 0, 0x68, 0, 0x86, 0x71, 0] }
        refuse(b + TorchPickleBytes.stop, containing: "more than")
        refuse(TorchPickleBytes.proto(2) + [0x68, 7, 0x2E], containing: "memo slot 7")
        refuse(TorchPickleBytes.proto(2) + [0x30, 0x2E], containing: "stack underflow")
        refuse(TorchPickleBytes.proto(2) + [0x28, 0x85, 0x2E], containing: "stack underflow") // TUPLE1 may not cross a MARK
        refuse(TorchPickleBytes.proto(2) + [0x74, 0x2E], containing: "has no MARK")
        refuse(TorchPickleBytes.proto(2) + [0x4B, 1], containing: "without STOP")
        refuse(TorchPickleBytes.proto(2) + [0x8D, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x2E], containing: "BINUNICODE8 length")
        refuse(TorchPickleBytes.proto(2) + [0x58, 3, 0, 0, 0, 0xFF, 0xFE, 0xFD, 0x2E], containing: "not valid UTF-8")
        refuse([0x63] + [UInt8](repeating: 0x61, count: 1000) + [0x0A], containing: "longer than")
        refuse(TorchPickleBytes.proto(9) + TorchPickleBytes.stop, containing: "protocol 9")
        refuse(TorchPickleBytes.proto(4) + [0x95, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0x2E], containing: "frame length")
    }

    @Test func truncatedAtEveryByteNeverCrashes() throws {
        let bytes = try TorchFixtures.bytes("state_dict.bin")
        let zip = try ZipArchive(path: TorchFixtures.path("state_dict.bin"))
        let pkl = try #require(zip.entry(named: "state_dict/data.pkl"))
        let pickle = Array(try zip.contents(of: pkl))
        #expect(bytes.count > pickle.count)
        #expect(try u.unpickle(pickle) != .none)
        for n in 0..<pickle.count {
            TorchFixtures.expectFormatError { _ = try u.unpickle(Array(pickle[..<n])) }
        }
    }
}
