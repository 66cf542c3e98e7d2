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
        if size == 0 {
            base = nil
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
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
        guard let base, let start = range.baseAddress, range.count > 0 else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let lo = max(Int(bitPattern: start) & ~(page - 1), Int(bitPattern: base))
        let hi = min(Int(bitPattern: start) + range.count, Int(bitPattern: base) + bytes.count)
        guard hi > lo, let p = UnsafeMutableRawPointer(bitPattern: lo) else { return }
        _ = madvise(p, hi - lo, MADV_DONTNEED)
    }

    deinit {
        if let base { munmap(base, bytes.count) }
    }
}
