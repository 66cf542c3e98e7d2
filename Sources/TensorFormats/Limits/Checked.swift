/// Checked arithmetic for numbers read from files, requests and flags: every operation that could
/// overflow `Int` throws a one-line `FormatError` naming the file, the field and the values instead
/// of trapping. Readers size nothing with a number that has not passed through here (or through an
/// explicit bound).
public enum Checked {
    /// `a · b`, or an error naming `file` and `field`.
    public static func multiply(_ a: Int, _ b: Int, file: String, _ field: @autoclosure () -> String) throws -> Int {
        let (r, o) = a.multipliedReportingOverflow(by: b)
        guard !o else { throw FormatError(file, "\(field()) \(a) × \(b) overflows a 64-bit integer") }
        return r
    }

    /// `a + b`, or an error naming `file` and `field`.
    public static func add(_ a: Int, _ b: Int, file: String, _ field: @autoclosure () -> String) throws -> Int {
        let (r, o) = a.addingReportingOverflow(b)
        guard !o else { throw FormatError(file, "\(field()) \(a) + \(b) overflows a 64-bit integer") }
        return r
    }

    /// The element count of `shape` (1 for a scalar); negative dimensions and overflowing
    /// products are errors naming `file` and `field`.
    public static func product(of shape: [Int], file: String, _ field: @autoclosure () -> String) throws -> Int {
        var n = 1
        for d in shape {
            guard d >= 0 else { throw FormatError(file, "\(field()) \(shape) has a negative dimension") }
            let (r, o) = n.multipliedReportingOverflow(by: d)
            guard !o else { throw FormatError(file, "\(field()) \(shape) has more elements than a 64-bit integer counts") }
            n = r
        }
        return n
    }

    /// An unsigned value that must fit `Int` (file offsets and lengths), or an error.
    public static func int(_ v: UInt64, file: String, _ field: @autoclosure () -> String) throws -> Int {
        guard let i = Int(exactly: v) else { throw FormatError(file, "\(field()) \(v) is larger than any file") }
        return i
    }

    /// `value` if it lies in `range`, else an error naming `file`, `field`, the value and the bound
    /// (`why` says where the bound comes from, e.g. "the documented limit").
    @discardableResult
    public static func within(_ value: Int, _ range: ClosedRange<Int>, file: String, _ field: @autoclosure () -> String,
                              why: @autoclosure () -> String = "") throws -> Int {
        guard range.contains(value) else {
            let reason = why()
            throw FormatError(file, "\(field()) \(value) is outside \(range.lowerBound)…\(range.upperBound)\(reason.isEmpty ? "" : " (\(reason))")")
        }
        return value
    }
}

/// A budget for one allocation sized by input: refuses, before anything is allocated, a request
/// for more bytes than the limit. `Budget.allocation` is the process-wide default.
public struct Budget: Sendable, Equatable {
    /// The largest allocation, in bytes.
    public var bytes: Int

    public init(bytes: Int) { self.bytes = bytes }

    /// 4 GiB: the largest single buffer an input may make vlmembed allocate (one image request's
    /// pixels, a tokenizer's tables, a merged weight are far below it on real models).
    public static let allocation = Budget(bytes: 4 << 30)

    /// Checks `count` elements of `elementSize` bytes fit the budget; returns the byte count.
    @discardableResult
    public func check(_ count: Int, elementSize: Int = 1, file: String, _ what: @autoclosure () -> String) throws -> Int {
        let total = try Checked.multiply(count, elementSize, file: file, what())
        guard count >= 0, total <= bytes else {
            throw FormatError(file, "\(what()) needs \(total) bytes, over the \(bytes)-byte allocation limit")
        }
        return total
    }
}
