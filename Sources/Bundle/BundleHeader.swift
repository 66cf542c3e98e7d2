import TensorFormats

/// The fixed 128-byte header of a `.vlmb` file (`Formats/vlmb.md` §1).
public struct BundleHeader: Sendable, Equatable {
    public static let size = 128
    public static let magic: [UInt8] = [0x56, 0x4C, 0x4D, 0x42, 0x00, 0x0D, 0x0A, 0x1A]
    /// The format version this build writes, and the major version it reads.
    public static let currentMajor: UInt16 = 1
    public static let currentMinor: UInt16 = 1
    /// Every section offset is a multiple of this.
    public static let alignment = 64

    public var major: UInt16 = BundleHeader.currentMajor
    public var minor: UInt16 = BundleHeader.currentMinor
    public var flags: UInt32 = 0
    public var manifestOffset: UInt64 = UInt64(BundleHeader.size)
    public var manifestLength: UInt64
    public var dataOffset: UInt64
    public var fileLength: UInt64
    public var manifestSHA256: [UInt8]

    public init(manifestLength: UInt64, dataOffset: UInt64, fileLength: UInt64, manifestSHA256: [UInt8]) {
        self.manifestLength = manifestLength
        self.dataOffset = dataOffset
        self.fileLength = fileLength
        self.manifestSHA256 = manifestSHA256
    }

    /// The 128 header bytes.
    public func encoded() -> [UInt8] {
        var out = BundleHeader.magic
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        put(major); put(minor); put(flags)
        put(manifestOffset); put(manifestLength); put(dataOffset); put(fileLength)
        out += manifestSHA256
        out += [UInt8](repeating: 0, count: BundleHeader.size - out.count)
        return out
    }

    /// Parses and checks the header against the file's actual length; errors name `path`.
    public static func decode(_ bytes: UnsafeRawBufferPointer, path: String) throws -> BundleHeader {
        guard bytes.count >= size else { throw FormatError(path, "not a vlmb bundle: \(bytes.count) bytes is shorter than the \(size)-byte header") }
        guard Array(bytes[0..<8]) == magic else { throw FormatError(path, "not a vlmb bundle (bad magic)") }
        func u16(_ o: Int) -> UInt16 { UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: o, as: UInt16.self)) }
        func u64(_ o: Int) -> UInt64 { UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: o, as: UInt64.self)) }
        var h = BundleHeader(manifestLength: u64(24), dataOffset: u64(32), fileLength: u64(40), manifestSHA256: Array(bytes[48..<80]))
        h.major = u16(8)
        h.minor = u16(10)
        h.flags = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
        h.manifestOffset = u64(16)
        guard h.major <= currentMajor else {
            throw FormatError(path, "bundle format version \(h.major).\(h.minor) is newer than this vlmembed supports (\(currentMajor).x); upgrade vlmembed to read it")
        }
        guard h.major == currentMajor else { throw FormatError(path, "bundle format version \(h.major).\(h.minor) is not supported (\(currentMajor).x)") }
        // Version 1.x defines no flag and no reserved byte: they must be zero (§1), so that a flipped
        // bit there is caught like any other corruption.
        guard h.flags == 0 else { throw FormatError(path, "bundle header flags are 0x\(String(h.flags, radix: 16)), but format \(currentMajor).x defines none (must be 0)") }
        if let i = (80..<size).first(where: { bytes[$0] != 0 }) {
            throw FormatError(path, "bundle header reserved byte \(i) is 0x\(String(bytes[i], radix: 16)), must be 0")
        }
        guard h.fileLength == UInt64(bytes.count) else {
            throw FormatError(path, "bundle is \(bytes.count) bytes but its header says \(h.fileLength) (truncated or appended to)")
        }
        let manifestEnd = h.manifestOffset.addingReportingOverflow(h.manifestLength)
        guard h.manifestOffset >= UInt64(size), !manifestEnd.overflow, manifestEnd.partialValue <= h.dataOffset,
              h.dataOffset <= h.fileLength, h.dataOffset % UInt64(alignment) == 0 else {
            throw FormatError(path, "bundle header is inconsistent (manifest \(h.manifestOffset)+\(h.manifestLength), data at \(h.dataOffset), file \(h.fileLength) bytes)")
        }
        return h
    }
}
