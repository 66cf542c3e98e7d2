import Foundation
import TensorFormats
#if canImport(Glibc)
import Glibc
#endif

/// Embeddings on disk, one folder per model identity: `ROOT/<identity>/seg-*.vec` segments that
/// are only ever appended to, each by one process (so concurrent shards sharing a cache never
/// write the same file), plus `model.txt` saying what the identity was computed from.
///
/// A segment is a sequence of records, each written with one `write` call:
///
///     "VEC1" | key (32 bytes) | count (u32 LE) | count × f32 LE | check (first 8 bytes of
///     SHA-256 over key, count and floats)
///
/// A process killed mid-write leaves at most a truncated last record, which readers skip (it is
/// recomputed); a record whose check fails is treated as absent. Opening scans record headers
/// only; vectors are read and checked on lookup. This is why a killed run resumes: everything
/// embedded before the kill is found again.
public final class EmbeddingCache {
    public let folder: String
    private struct Location { var segment: Int; var offset: Int; var count: Int }
    private var segments: [Int32] = []
    private var index: [InputKey: Location] = [:]
    private var writer: Int32 = -1
    private var writerSegment = -1
    private var writerOffset = 0
    /// Records skipped while opening (truncated or malformed tails).
    public private(set) var damagedRecords = 0

    static let magic: [UInt8] = Array("VEC1".utf8)
    static let headerSize = 4 + 32 + 4
    static let checkSize = 8
    static let maxCount = 1 << 20

    /// Opens (creating if needed) the cache folder for `identity` under `root`; `about` is written
    /// to `model.txt` the first time.
    public init(root: String, identity: String, about: String) throws {
        folder = root + "/" + identity
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw FormatError(folder, "cannot create the cache folder: \(error.localizedDescription)")
        }
        if !FileSystem.isFile(folder + "/model.txt") {
            let out = try AtomicFileWriter(destination: folder + "/model.txt")
            try out.write(Array((about + "\n").utf8))
            try out.commit()
        }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".vec") }.sorted()
        for name in names { try scan(folder + "/" + name) }
    }

    deinit {
        for fd in segments { close(fd) }
        if writer >= 0 { fsync(writer) }
    }

    /// Number of distinct inputs stored.
    public var count: Int { index.count }

    public func contains(_ key: InputKey) -> Bool { index[key] != nil }

    /// The stored vector for `key`, or nil when absent or damaged.
    public func lookup(_ key: InputKey) -> [Float]? {
        guard let at = index[key] else { return nil }
        let size = Self.headerSize + at.count * 4 + Self.checkSize
        var record = [UInt8](repeating: 0, count: size)
        let got = record.withUnsafeMutableBytes { pread(segments[at.segment], $0.baseAddress, size, off_t(at.offset)) }
        guard got == size, Self.checkMatches(record, count: at.count) else {
            index[key] = nil
            return nil
        }
        return record.withUnsafeBytes { raw in
            (0..<at.count).map { i in Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: Self.headerSize + 4 * i, as: UInt32.self))) }
        }
    }

    /// Appends `vector` for `key` to this process's segment.
    public func store(_ key: InputKey, _ vector: [Float]) throws {
        if writer < 0 { try openWriter() }
        var record = Self.magic + key.bytes
        withUnsafeBytes(of: UInt32(vector.count).littleEndian) { record += $0 }
        for v in vector { withUnsafeBytes(of: v.bitPattern.littleEndian) { record += $0 } }
        var check = SHA256()
        check.update(Array(record[4...]))
        record += check.finalize().prefix(Self.checkSize)
        var done = 0
        while done < record.count {
            let n = record.withUnsafeBytes { write(writer, $0.baseAddress! + done, record.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FormatError(folder, "cannot write the cache: \(String(cString: strerror(errno)))")
            }
            done += n
        }
        index[key] = Location(segment: writerSegment, offset: writerOffset, count: vector.count)
        writerOffset += record.count
    }

    /// Flushes this process's segment to disk.
    public func synchronize() {
        if writer >= 0 { fsync(writer) }
    }

    private func openWriter() throws {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let name = String(format: "seg-%010ld%09ld-%d.vec", now.tv_sec, now.tv_nsec, getpid())
        let path = folder + "/" + name
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FormatError(path, "cannot create a cache segment: \(String(cString: strerror(errno)))") }
        writer = fd
        writerOffset = 0
        segments.append(fd)
        writerSegment = segments.count - 1
    }

    /// Indexes a segment's records by reading their headers.
    private func scan(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FormatError(path, "cannot open a cache segment: \(String(cString: strerror(errno)))") }
        var st = stat()
        guard fstat(fd, &st) == 0 else { close(fd); throw FormatError(path, "cannot stat a cache segment") }
        let size = Int(st.st_size)
        segments.append(fd)
        let segment = segments.count - 1
        var offset = 0
        var header = [UInt8](repeating: 0, count: Self.headerSize)
        while offset + Self.headerSize <= size {
            let got = header.withUnsafeMutableBytes { pread(fd, $0.baseAddress, Self.headerSize, off_t(offset)) }
            guard got == Self.headerSize, Array(header[0..<4]) == Self.magic else { break }
            let count = header.withUnsafeBytes { Int(UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 36, as: UInt32.self))) }
            let recordSize = Self.headerSize + count * 4 + Self.checkSize
            guard count > 0, count <= Self.maxCount, offset + recordSize <= size else { break }
            index[InputKey(bytes: Array(header[4..<36]))] = Location(segment: segment, offset: offset, count: count)
            offset += recordSize
        }
        if offset < size { damagedRecords += 1 }
    }

    static func checkMatches(_ record: [UInt8], count: Int) -> Bool {
        let body = headerSize + count * 4
        var check = SHA256()
        check.update(Array(record[4..<body]))
        return Array(check.finalize().prefix(checkSize)) == Array(record[body...])
    }
}
