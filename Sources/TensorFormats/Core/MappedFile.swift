#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only memory map of a whole file. Pages are loaded by the kernel on first touch,
/// so opening a multi-gigabyte checkpoint costs only what is read.
public final class MappedFile: @unchecked Sendable {
    /// The path the file was opened from (used in error messages).
    public let path: String
    /// The mapped bytes (empty for an empty file).
    public let bytes: UnsafeRawBufferPointer
    private let base: UnsafeMutableRawPointer?
    /// True when the bytes were read from a stream into memory (freed, not unmapped).
    private var streamed = false

    /// The most bytes read from a file that does not report its size (a FIFO, a device, `/proc`):
    /// 256 MiB, far above any config, tokenizer or request file.
    public static let streamLimit = 256 << 20

    /// Maps `path` read-only. Throws a `FormatError` naming the file when it cannot be opened.
    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw FormatError(path, "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw FormatError(path, "cannot stat: \(String(cString: strerror(errno)))")
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            throw FormatError(path, "is a directory, expected a file")
        }
        let size = Int(st.st_size)
        // Devices, FIFOs, sockets and /proc files report no size (or a wrong one) but stream bytes:
        // they are read as streams, up to `streamLimit`, never taken as empty.
        if (st.st_mode & S_IFMT) != S_IFREG || size == 0 {
            let (p, n) = try MappedFile.readStream(fd, path: path)
            base = p
            bytes = UnsafeRawBufferPointer(start: p, count: n)
            streamed = true
            return
        }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw FormatError(path, "cannot map \(size) bytes: \(String(cString: strerror(errno)))")
        }
        base = p
        bytes = UnsafeRawBufferPointer(start: p, count: size)
    }

    /// The file's size in bytes.
    public var count: Int { bytes.count }

    /// A view of `range` (caller has validated it lies inside the file).
    public func slice(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[range])
    }

    /// Drops the pages under `range` (a view into this mapping) from the resident set; the
    /// mapping stays valid. Pages shared with neighbouring data are dropped too and simply fault back.
    public func releaseResidentPages(_ range: UnsafeRawBufferPointer) {
        guard let base, !streamed, let start = range.baseAddress, range.count > 0 else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let lo = max(Int(bitPattern: start) & ~(page - 1), Int(bitPattern: base))
        let hi = min(Int(bitPattern: start) + range.count, Int(bitPattern: base) + bytes.count)
        guard hi > lo, let p = UnsafeMutableRawPointer(bitPattern: lo) else { return }
        _ = madvise(p, hi - lo, MADV_DONTNEED)
    }

    deinit {
        guard let base else { return }
        if streamed { free(base) } else { munmap(base, bytes.count) }
    }

    /// Reads `fd` to its end into a malloc'd buffer (nil for no bytes); more than `streamLimit`
    /// bytes is an error naming the file.
    private static func readStream(_ fd: Int32, path: String) throws -> (UnsafeMutableRawPointer?, Int) {
        var capacity = 0, count = 0
        var buffer: UnsafeMutableRawPointer?
        while true {
            if count == capacity {
                guard capacity < streamLimit else {
                    free(buffer)
                    throw FormatError(path, "is not a regular file and streams more than \(streamLimit) bytes")
                }
                capacity = min(max(capacity * 2, 64 << 10), streamLimit + 1)
                guard let grown = realloc(buffer, capacity) else {
                    free(buffer)
                    throw FormatError(path, "cannot allocate \(capacity) bytes to read it")
                }
                buffer = grown
            }
            guard let b = buffer else { break }
            let n = read(fd, b + count, capacity - count)
            if n < 0 {
                if errno == EINTR { continue }
                let e = String(cString: strerror(errno))
                free(buffer)
                throw FormatError(path, "cannot read: \(e)")
            }
            if n == 0 { break }
            count += n
        }
        if count == 0 { free(buffer); return (nil, 0) }
        return (buffer, count)
    }
}
