import Foundation
import Testing
@testable import TensorFormats

/// Every metadata value type, read from a gguf-py file and round-tripped through `GGUFWriter`.
@Suite struct GGUFMetadataTests {
    /// The values Tools/make_gguf_fixtures.py writes into metadata.gguf, in file order.
    static let expected: [(String, GGUFValue)] = [
        ("general.architecture", .string("metatest")),
        ("test.u8", .uint8(200)),
        ("test.i8", .int8(-100)),
        ("test.u16", .uint16(60000)),
        ("test.i16", .int16(-30000)),
        ("test.u32", .uint32(4_000_000_000)),
        ("test.i32", .int32(-2_000_000_000)),
        ("test.f32", .float32(0.1)),
        ("test.bool_true", .bool(true)),
        ("test.bool_false", .bool(false)),
        ("test.string", .string("héllo, GGUF ✓")),
        ("test.empty_string", .string("")),
        ("test.u64", .uint64(18_000_000_000_000_000_000)),
        ("test.i64", .int64(-9_000_000_000_000_000_000)),
        ("test.f64", .float64(-2.5e-300)),
        ("test.arr_i32", .array(elementType: .int32, values: [.int32(1), .int32(-2), .int32(3)])),
        ("test.arr_u8", .array(elementType: .uint8, values: [.uint8(0), .uint8(127), .uint8(255)])),
        ("test.arr_f32", .array(elementType: .float32, values: [.float32(0.5), .float32(-1.25), .float32(3.0e38)])),
        ("test.arr_bool", .array(elementType: .bool, values: [.bool(true), .bool(false), .bool(true)])),
        ("test.arr_str", .array(elementType: .string, values: [.string("a"), .string(""), .string("ünïcode"), .string("tokens ▁x")])),
        ("test.arr_arr", .array(elementType: .array, values: [
            .array(elementType: .int32, values: [.int32(1), .int32(2)]),
            .array(elementType: .int32, values: [.int32(3)]),
            .array(elementType: .int32, values: [.int32(4), .int32(5), .int32(6)]),
        ])),
        ("test.arr_arr_str", .array(elementType: .array, values: [
            .array(elementType: .string, values: [.string("x"), .string("y")]),
            .array(elementType: .string, values: [.string("z")]),
        ])),
        ("test.arr_f64", .array(elementType: .float64, values: [.float64(1.0), .float64(-0.0)])),
    ]

    @Test func readsEveryValueTypeInOrder() throws {
        let file = try GGUFFile(path: GGUFTestSupport.fixture("metadata.gguf"))
        #expect(file.metadataEntries.map(\.key) == Self.expected.map(\.0))
        for (key, value) in Self.expected {
            #expect(file.metadata[key] == value, "\(key)")
        }
        // -0.0 == 0.0 under ==; check the sign bit explicitly.
        if case .array(_, let v) = file.metadata["test.arr_f64"], case .float64(let z) = v[1] {
            #expect(z.sign == .minus)
        } else {
            Issue.record("test.arr_f64 missing")
        }
        let covered = Set(file.metadataEntries.map(\.value.type))
        #expect(covered == Set(GGUFValueType.allCases))
        #expect(file.architecture == "metatest")
        #expect(file.tensors == [TensorDescriptor(name: "tiny", shape: [4], encoding: .dense(.f32))])
        #expect(try file.floats(named: "tiny") == [0, 1, 2, 3])
    }

    @Test func convenienceGetters() throws {
        let file = try GGUFFile(path: GGUFTestSupport.fixture("metadata.gguf"))
        #expect(file.string("test.string") == "héllo, GGUF ✓")
        #expect(file.uint("test.u32") == 4_000_000_000)
        #expect(file.uint("test.u8") == 200)
        #expect(file.uint("test.i8") == nil)
        #expect(file.int("test.i64") == -9_000_000_000_000_000_000)
        #expect(file.int("test.u64") == nil)
        #expect(file.float("test.f32") == Double(Float(0.1)))
        #expect(file.float("test.f64") == -2.5e-300)
        #expect(file.bool("test.bool_true") == true)
        #expect(file.stringArray("test.arr_str") == ["a", "", "ünïcode", "tokens ▁x"])
        #expect(file.floatArray("test.arr_f32") == [0.5, -1.25, Double(Float(3.0e38))])
        #expect(file.intArray("test.arr_i32") == [1, -2, 3])
        #expect(file.array("test.arr_arr")?.count == 3)
        #expect(file.value("missing") == nil)
        #expect(file.string("test.u8") == nil)
    }

    /// Reading then writing with GGUFWriter reproduces gguf-py's file byte for byte.
    @Test func roundTripIsByteIdentical() throws {
        let source = GGUFTestSupport.fixture("metadata.gguf")
        let file = try GGUFFile(path: source)
        let out = try GGUFTestSupport.tempDir().appendingPathComponent("meta.gguf").path
        let w = try GGUFWriter(path: out, metadata: file.metadataEntries,
                               tensors: file.tensorInfos.map { GGUFTensorSpec(name: $0.name, shape: $0.shape, type: $0.type) })
        for info in file.tensorInfos {
            try w.writeTensor(encoded: try file.tensorData(named: info.name).bytes)
        }
        try w.finish()
        #expect(try GGUFTestSupport.readBytes(out) == GGUFTestSupport.readBytes(source))
    }

    /// Values built in Swift (including an empty array and a 3-level nested array) survive a round trip.
    @Test func writtenValuesReadBack() throws {
        var entries = Self.expected
        entries.append(("test.empty_arr", .array(elementType: .uint64, values: [])))
        entries.append(("test.deep", .array(elementType: .array, values: [
            .array(elementType: .array, values: [.array(elementType: .float64, values: [.float64(.pi)])]),
        ])))
        entries.append(("test.inf", .float32(.infinity)))
        let out = try GGUFTestSupport.tempDir().appendingPathComponent("vals.gguf").path
        let w = try GGUFWriter(path: out, metadata: entries, tensors: [])
        try w.finish()
        let file = try GGUFFile(path: out)
        #expect(file.metadataEntries.map(\.key) == entries.map(\.0))
        for (key, value) in entries {
            #expect(file.metadata[key] == value, "\(key)")
        }
        #expect(file.tensors.isEmpty)
    }

    @Test func writerRejectsBadMetadata() throws {
        let dir = try GGUFTestSupport.tempDir()
        let path = dir.appendingPathComponent("bad.gguf").path
        #expect(throws: FormatError.self) {
            _ = try GGUFWriter(path: path, metadata: [("a", .uint8(1)), ("a", .uint8(2))], tensors: [])
        }
        #expect(throws: FormatError.self) {
            _ = try GGUFWriter(path: path, metadata: [("a", .array(elementType: .int32, values: [.uint8(1)]))], tensors: [])
        }
        #expect(throws: FormatError.self) {
            _ = try GGUFWriter(path: path, metadata: [("general.alignment", .uint32(64))], tensors: [], alignment: 32)
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}
