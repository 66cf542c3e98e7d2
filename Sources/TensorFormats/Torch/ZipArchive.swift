/// One record of a zip archive, as its central directory describes it.
public struct ZipEntry: Sendable, Hashable {
    /// The record's path inside the archive (e.g. `archive/data/0`).
    public var name: String
    /// Compression method: 0 = stored, 8 = deflate.
    public var method: UInt16
    /// Bytes of (possibly compressed) data.
    public var compressedSize: Int
    /// Bytes after decompression.
    public var uncompressedSize: Int
    /// Offset of the entry's local header in the file.
    public var localHeaderOffset: Int
    /// Offset of the entry's first data byte in the file (validated against the file size).
    public var dataOffset: Int
}

/// A read-only zip archive over a memory-mapped file: the layout `torch.save` writes.
///
/// Opening reads only the end-of-central-directory record (ZIP64 included), the central
/// directory and each entry's local header; every offset and size is checked against the
/// file size with overflow-checked arithmetic. Stored (uncompressed) entries are returned as
/// zero-copy views into the map; compressed or encrypted entries are refused with a `FormatError`.
public struct ZipArchive: Sendable {
    /// The mapped file (kept alive by every view handed out).
    public let file: MappedFile
    /// Entries in central-directory order.
    public let entries: [ZipEntry]
    private let index: [String: Int]

    /// The largest comment the end record can carry; bounds the backwards search.
    static let maxCommentLength = 0xFFFF
    static let eocdSize = 22

    /// Opens `path` as a zip archive.
    public init(path: String) throws {
        try self.init(file: MappedFile(path: path))
    }

    /// Reads the directory of an already mapped file.
    public init(file: MappedFile) throws {
        self.file = file
        let directory = try ZipArchive.locateCentralDirectory(file)
        var entries: [ZipEntry] = []
        var index: [String: Int] = [:]
        var r = ByteReader(file.bytes, file: file.path)
        try r.seek(to: directory.offset)
        var n = 0
        while n < directory.count {
            let entry = try ZipArchive.readCentralEntry(&r, file: file, directoryEnd: directory.end)
            guard index[entry.name] == nil else {
                throw FormatError(file.path, "zip archive has two entries named \(entry.name)")
            }
            index[entry.name] = entries.count
            entries.append(entry)
            n += 1
        }
        self.entries = entries
        self.index = index
    }

    /// The entry with this exact name, if any.
    public func entry(named name: String) -> ZipEntry? {
        index[name].map { entries[$0] }
    }

    /// The bytes of a stored entry, viewed in place. Throws for compressed or encrypted entries.
    public func contents(of entry: ZipEntry) throws -> UnsafeRawBufferPointer {
        guard entry.method == 0 else {
            let how = entry.method == 8 ? "deflate-compressed" : "compressed with method \(entry.method)"
            throw FormatError(file.path, "zip entry \(entry.name) is \(how); only stored (uncompressed) entries are supported")
        }
        // Validated at open: dataOffset + compressedSize lies inside the file.
        return file.slice(entry.dataOffset..<(entry.dataOffset + entry.compressedSize))
    }

    // MARK: - Directory parsing

    struct CentralDirectory {
        var offset: Int
        var size: Int
        var count: Int
        var end: Int { offset + size }
    }

    /// Finds the end-of-central-directory record (searching back at most 64 KiB + 22 bytes)
    /// and, when present, the ZIP64 record it points to.
    static func locateCentralDirectory(_ file: MappedFile) throws -> CentralDirectory {
        let bytes = file.bytes
        let path = file.path
        guard bytes.count >= eocdSize else {
            throw FormatError(path, "not a zip archive: \(bytes.count) bytes is too short for an end-of-central-directory record")
        }
        var eocd = -1
        var pos = bytes.count - eocdSize
        let lowest = max(0, bytes.count - eocdSize - maxCommentLength)
        while pos >= lowest {
            if bytes.loadUnaligned(fromByteOffset: pos, as: UInt32.self) == UInt32(0x0605_4B50).littleEndian {
                let commentLength = Int(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: pos + 20, as: UInt16.self)))
                if pos + eocdSize + commentLength <= bytes.count { eocd = pos; break }
            }
            pos -= 1
        }
        guard eocd >= 0 else {
            throw FormatError(path, "not a zip archive: no end-of-central-directory record in the last \(bytes.count - lowest) bytes (truncated file?)")
        }
        var r = ByteReader(bytes, file: path, offset: eocd + 4)
        let disk = try r.read(UInt16.self, "zip end record")
        let cdDisk = try r.read(UInt16.self, "zip end record")
        let diskEntries = try r.read(UInt16.self, "zip end record")
        let totalEntries = try r.read(UInt16.self, "zip end record")
        let cdSize = try r.read(UInt32.self, "zip end record")
        let cdOffset = try r.read(UInt32.self, "zip end record")
        var dir = CentralDirectory(offset: Int(cdOffset), size: Int(cdSize), count: Int(totalEntries))
        var multiDisk = disk != 0 || cdDisk != 0 || diskEntries != totalEntries

        let needsZip64 = totalEntries == 0xFFFF || cdSize == 0xFFFF_FFFF || cdOffset == 0xFFFF_FFFF
        let locator = eocd - 20
        if locator >= 0, bytes.loadUnaligned(fromByteOffset: locator, as: UInt32.self) == UInt32(0x0706_4B50).littleEndian {
            var l = ByteReader(bytes, file: path, offset: locator + 4)
            let z64Disk = try l.read(UInt32.self, "zip64 locator")
            let z64Offset = try l.read(UInt64.self, "zip64 locator")
            let disks = try l.read(UInt32.self, "zip64 locator")
            if z64Disk != 0 || disks > 1 { multiDisk = true }
            guard z64Offset <= UInt64(locator) else {
                throw FormatError(path, "zip64 end record offset \(z64Offset) is outside the file")
            }
            var z = ByteReader(bytes, file: path, offset: Int(z64Offset))
            guard try z.read(UInt32.self, "zip64 end record") == 0x0606_4B50 else {
                throw FormatError(path, "zip64 end record signature missing at offset \(z64Offset)")
            }
            _ = try z.read(UInt64.self, "zip64 end record size")
            _ = try z.read(UInt32.self, "zip64 end record versions")
            let d = try z.read(UInt32.self, "zip64 end record")
            let cd = try z.read(UInt32.self, "zip64 end record")
            let onDisk = try z.read(UInt64.self, "zip64 end record")
            let total = try z.read(UInt64.self, "zip64 end record")
            let size64 = try z.read(UInt64.self, "zip64 end record")
            let offset64 = try z.read(UInt64.self, "zip64 end record")
            multiDisk = d != 0 || cd != 0 || onDisk != total
            guard let t = Int(exactly: total), let s = Int(exactly: size64), let o = Int(exactly: offset64) else {
                throw FormatError(path, "zip64 end record values overflow")
            }
            // Fields the 32-bit record does not saturate must agree with the ZIP64 record.
            guard (totalEntries == 0xFFFF || Int(totalEntries) == t),
                  (cdSize == 0xFFFF_FFFF || Int(cdSize) == s),
                  (cdOffset == 0xFFFF_FFFF || Int(cdOffset) == o) else {
                throw FormatError(path, "zip end record and zip64 end record disagree (entries \(totalEntries)/\(t), directory size \(cdSize)/\(s), offset \(cdOffset)/\(o))")
            }
            dir = CentralDirectory(offset: o, size: s, count: t)
        } else if needsZip64 {
            throw FormatError(path, "zip end record needs a ZIP64 record, but the ZIP64 locator is missing")
        }
        if multiDisk {
            throw FormatError(path, "multi-disk (split) zip archives are not supported")
        }
        let (end, overflow) = dir.offset.addingReportingOverflow(dir.size)
        guard !overflow, dir.offset >= 0, dir.size >= 0, end <= eocd else {
            throw FormatError(path, "zip central directory (offset \(dir.offset), \(dir.size) bytes) lies outside the file (end record at \(eocd))")
        }
        // Each central entry takes at least 46 bytes.
        guard dir.count <= dir.size / 46 else {
            throw FormatError(path, "zip central directory claims \(dir.count) entries in \(dir.size) bytes")
        }
        return dir
    }

    /// Reads one central directory header, its ZIP64 extra field and its local header.
    static func readCentralEntry(_ r: inout ByteReader, file: MappedFile, directoryEnd: Int) throws -> ZipEntry {
        let path = file.path
        let at = r.offset
        guard try r.read(UInt32.self, "zip central directory entry") == 0x0201_4B50 else {
            throw FormatError(path, "zip central directory entry at offset \(at) has a bad signature")
        }
        _ = try r.read(UInt16.self, "zip central directory entry") // version made by
        _ = try r.read(UInt16.self, "zip central directory entry") // version needed
        let flags = try r.read(UInt16.self, "zip central directory entry")
        let method = try r.read(UInt16.self, "zip central directory entry")
        _ = try r.read(UInt32.self, "zip central directory entry") // time, date
        _ = try r.read(UInt32.self, "zip central directory entry") // crc32
        var compressed = UInt64(try r.read(UInt32.self, "zip central directory entry"))
        var uncompressed = UInt64(try r.read(UInt32.self, "zip central directory entry"))
        let nameLength = Int(try r.read(UInt16.self, "zip central directory entry"))
        let extraLength = Int(try r.read(UInt16.self, "zip central directory entry"))
        let commentLength = Int(try r.read(UInt16.self, "zip central directory entry"))
        let diskStart = try r.read(UInt16.self, "zip central directory entry")
        _ = try r.read(UInt16.self, "zip central directory entry") // internal attributes
        _ = try r.read(UInt32.self, "zip central directory entry") // external attributes
        var localOffset = UInt64(try r.read(UInt32.self, "zip central directory entry"))
        guard r.offset + nameLength + extraLength + commentLength <= directoryEnd else {
            throw FormatError(path, "zip central directory entry at offset \(at) runs past the directory")
        }
        let name = String(decoding: try r.readBytes(nameLength, "zip entry name"), as: UTF8.self)
        var extra = ByteReader(try r.readBytes(extraLength, "zip extra field"), file: path)
        _ = try r.readBytes(commentLength, "zip entry comment")

        // ZIP64 extended information: only the fields whose 32-bit value is saturated, in order.
        while extra.remaining >= 4 {
            let id = try extra.read(UInt16.self, "zip extra field")
            let size = Int(try extra.read(UInt16.self, "zip extra field"))
            var field = ByteReader(try extra.readBytes(size, "zip extra field of \(name)"), file: path)
            guard id == 0x0001 else { continue }
            if uncompressed == 0xFFFF_FFFF { uncompressed = try field.read(UInt64.self, "zip64 size of \(name)") }
            if compressed == 0xFFFF_FFFF { compressed = try field.read(UInt64.self, "zip64 size of \(name)") }
            if localOffset == 0xFFFF_FFFF { localOffset = try field.read(UInt64.self, "zip64 offset of \(name)") }
        }
        if diskStart != 0 && diskStart != 0xFFFF {
            throw FormatError(path, "zip entry \(name) starts on disk \(diskStart); split archives are not supported")
        }
        if flags & 1 != 0 {
            throw FormatError(path, "zip entry \(name) is encrypted")
        }
        guard let c = Int(exactly: compressed), let u = Int(exactly: uncompressed), let lo = Int(exactly: localOffset) else {
            throw FormatError(path, "zip entry \(name) has sizes or offsets beyond the addressable range")
        }
        if method == 0 && c != u {
            throw FormatError(path, "zip entry \(name) is stored but its sizes differ (\(c) vs \(u))")
        }

        // Local header: its own name and extra lengths decide where the data begins.
        var local = ByteReader(file.bytes, file: path)
        guard lo <= file.count - 30 else {
            throw FormatError(path, "zip entry \(name): local header offset \(lo) is outside the file (\(file.count) bytes)")
        }
        try local.seek(to: lo)
        guard try local.read(UInt32.self, "zip local header of \(name)") == 0x0403_4B50 else {
            throw FormatError(path, "zip entry \(name): no local header at offset \(lo)")
        }
        try local.seek(to: lo + 26)
        let localName = Int(try local.read(UInt16.self, "zip local header of \(name)"))
        let localExtra = Int(try local.read(UInt16.self, "zip local header of \(name)"))
        let dataOffset = lo + 30 + localName + localExtra
        let (dataEnd, overflow) = dataOffset.addingReportingOverflow(c)
        guard !overflow, dataEnd <= file.count else {
            throw FormatError(path, "zip entry \(name): data (\(c) bytes at offset \(dataOffset)) runs past the end of the file (\(file.count) bytes)")
        }
        return ZipEntry(name: name, method: method, compressedSize: c, uncompressedSize: u,
                        localHeaderOffset: lo, dataOffset: dataOffset)
    }
}
