import Testing
@testable import TensorFormats

/// `Checked` and `Budget`: overflow and oversize are one-line errors naming file, field and value.
@Suite struct CheckedArithmeticTests {
    @Test func multiplyOverflowNamesFileFieldAndValues() throws {
        #expect(throws: FormatError.self) { try Checked.multiply(Int.max / 2, 3, file: "m.json", "rows × columns") }
        do { _ = try Checked.multiply(1 << 62, 4, file: "m.json", "rows × columns"); Issue.record("no error") } catch let e as FormatError {
            #expect(e.description == "m.json: rows × columns 4611686018427387904 × 4 overflows a 64-bit integer")
        } catch { Issue.record("\(error)") }
        #expect(try Checked.multiply(3, 4, file: "f", "x") == 12)
    }

    @Test func addOverflowIsAnError() throws {
        #expect(throws: FormatError.self) { try Checked.add(Int.max - 1, 2, file: "f", "offset+length") }
        #expect(try Checked.add(1, 2, file: "f", "x") == 3)
    }

    @Test func shapeProductOverflowAndNegativeDimensions() throws {
        #expect(try Checked.product(of: [2, 3, 4], file: "f", "shape") == 24)
        #expect(try Checked.product(of: [], file: "f", "shape") == 1)
        do { _ = try Checked.product(of: [1 << 40, 1 << 40], file: "b.vlmb", "tensor 'w' shape"); Issue.record("no error") } catch let e as FormatError {
            #expect(e.description.contains("b.vlmb: tensor 'w' shape [1099511627776, 1099511627776]"))
        }
        #expect(throws: FormatError.self) { try Checked.product(of: [4, -1], file: "f", "shape") }
    }

    @Test func withinAndUnsignedConversion() throws {
        #expect(throws: FormatError.self) { try Checked.within(1 << 31, 1...1024, file: "config.json", "num_hidden_layers") }
        #expect(try Checked.within(7, 1...1024, file: "config.json", "num_hidden_layers") == 7)
        #expect(throws: FormatError.self) { try Checked.int(UInt64.max, file: "f", "file length") }
    }

    @Test func budgetRefusesBeforeAllocating() throws {
        let b = Budget(bytes: 1 << 20)
        #expect(try b.check(1000, elementSize: 4, file: "f", "table") == 4000)
        #expect(throws: FormatError.self) { try b.check(1 << 20, elementSize: 4, file: "f", "table") }
        #expect(throws: FormatError.self) { try b.check(Int.max, elementSize: 8, file: "f", "table") }
    }
}

/// Found by the gguf fuzz target (Fuzz/regressions/gguf/crash-3f22e2b06d): GGUF checks ne's
/// product in file order, where a leading zero stops it; the descriptor's shape is ne reversed, so
/// its own product overflowed before reaching the zero, and `inspect` trapped.
@Suite struct ZeroDimensionCountTests {
    @Test func aZeroDimensionCountsZeroInAnyOrder() {
        let huge = 1 << 40
        for shape in [[0, huge, huge], [huge, huge, 0], [huge, 0, huge]] {
            #expect(TensorDescriptor.checkedElementCount(shape) == nil || TensorDescriptor.checkedElementCount(shape) == 0)
            #expect(TensorDescriptor(name: "t", shape: shape, encoding: .dense(.f32)).elementCount == 0)
        }
    }

    @Test func totalsSaturateInsteadOfTrapping() {
        let big = TensorDescriptor(name: "a", shape: [Int.max / 2 + 1], encoding: .dense(.f32))
        #expect(TensorDescriptor.totalElements([big, big]) == Int.max)
        #expect(TensorDescriptor.totalElements([big]) == Int.max / 2 + 1)
    }
}
