/// A bounds-checked little-endian cursor over bytes, for parsing untrusted binary headers.
/// Every read that would pass the end throws a `FormatError` naming the file and what was being read.
public struct ByteReader {
    public let bytes: UnsafeRawBufferPointer
    public let file: String
    public private(set) var offset: Int

    public init(_ bytes: UnsafeRawBufferPointer, file: String, offset: Int = 0) {
        self.bytes = bytes
        self.file = file
        self.offset = offset
    }

    public var remaining: Int { bytes.count - offset }

    /// Throws unless `n` more bytes are available.
    public func require(_ n: Int, _ what: @autoclosure () -> String) throws {
        if n < 0 || n > remaining {
            throw FormatError(file, "truncated: \(what()) needs \(n) bytes at offset \(offset), \(max(remaining, 0)) left")
        }
    }

    public mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws -> T {
        try require(MemoryLayout<T>.size, what())
        let v = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += MemoryLayout<T>.size
        return T(littleEndian: v)
    }

    public mutating func readFloat(_ what: @autoclosure () -> String) throws -> Float {
        Float(bitPattern: try read(UInt32.self, what()))
    }

    public mutating func readDouble(_ what: @autoclosure () -> String) throws -> Double {
        Double(bitPattern: try read(UInt64.self, what()))
    }

    /// Reads `n` raw bytes as a view.
    public mutating func readBytes(_ n: Int, _ what: @autoclosure () -> String) throws -> UnsafeRawBufferPointer {
        try require(n, what())
        let v = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)])
        offset += n
        return v
    }

    /// Reads `n` bytes as UTF-8 text (invalid sequences are an error).
    public mutating func readUTF8(_ n: Int, _ what: @autoclosure () -> String) throws -> String {
        let raw = try readBytes(n, what())
        guard let s = String(validating: raw, as: UTF8.self) else {
            throw FormatError(file, "\(what()) is not valid UTF-8")
        }
        return s
    }

    public mutating func seek(to newOffset: Int) throws {
        guard newOffset >= 0 && newOffset <= bytes.count else {
            throw FormatError(file, "offset \(newOffset) is outside the file (\(bytes.count) bytes)")
        }
        offset = newOffset
    }
}
