import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a file so that the destination path either keeps its old content or gets the complete
/// new file — never a partial one. Bytes go to a temporary file beside the destination
/// (`.NAME.vlmembed-tmp-PID`), which is fsync'd and renamed over the destination on `commit()`.
///
/// A temporary left behind by a killed process is removed by the next writer of the same path.
/// If the writer is dropped without `commit()`, the temporary is removed.
public final class AtomicFileWriter {
    public let destination: String
    public let temporaryPath: String
    private var fd: Int32
    private var buffer: [UInt8] = []
    private let bufferLimit = 1 << 20
    private var committed = false
    /// Bytes written so far (including buffered ones).
    public private(set) var bytesWritten: Int = 0
    /// Bytes handed to the kernel so far, and the end of the range whose writeback was started.
    private var flushedBytes = 0
    private var writebackStart = 0
    /// Writeback of flushed bytes is started every this many bytes, so that it overlaps the work
    /// that produces the rest and `commit()`'s fsync finds little left to do.
    private let writebackInterval = 64 << 20
    /// Where the writeback requests wait for the disk (not on the writing thread).
    private let writeback = DispatchQueue(label: "vlmembed.atomic-file-writeback")
    /// The ranges whose writeback was started, in order.
    private var writebackRanges: [Range<Int>] = []

    /// The regular file the rename replaces: `destination`, or the final target when it is a
    /// symbolic link (`OutputTarget`).
    public let target: String

    /// Prepares to write `destination`; an existing device, FIFO, socket or directory there is
    /// refused, a symbolic link is followed and its target replaced.
    public init(destination: String) throws {
        self.destination = destination
        target = try OutputTarget.resolve(destination)
        let (dir, name) = AtomicFileWriter.split(target)
        AtomicFileWriter.removeStaleTemporaries(directory: dir, name: name)
        temporaryPath = (dir == "" ? "" : dir + "/") + ".\(name).vlmembed-tmp-\(getpid())"
        unlink(temporaryPath)
        fd = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw FormatError(destination, "cannot create output: \(String(cString: strerror(errno)))")
        }
        buffer.reserveCapacity(bufferLimit)
    }

    /// Appends bytes.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        bytesWritten += bytes.count
        // Large writes (a streaming writer's tiles) go straight to the file, not through the buffer.
        if buffer.count + bytes.count > bufferLimit || bytes.count >= bufferLimit / 4 {
            try flush()
            if bytes.count >= bufferLimit / 4 {
                try writeAll(bytes)
                flushedBytes += bytes.count
                startWritebackIfDue()
                return
            }
        }
        buffer.append(contentsOf: bytes)
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Appends `count` zero bytes.
    public func writeZeros(_ count: Int) throws {
        if count > 0 { try write([UInt8](repeating: 0, count: count)) }
    }

    /// Rewrites bytes already written at `offset` (e.g. a header whose checksums are known only
    /// at the end); the file length does not change.
    public func overwrite(_ bytes: [UInt8], at offset: Int) throws {
        precondition(offset >= 0 && offset + bytes.count <= bytesWritten, "overwrite past the written bytes")
        try flush()
        try bytes.withUnsafeBytes { try writeAll($0, at: offset) }
    }

    /// Flushes, fsyncs and renames the temporary over the destination.
    public func commit() throws {
        try flush()
        writeback.sync {}
        if fsync(fd) != 0 {
            let e = String(cString: strerror(errno))
            abort()
            throw FormatError(destination, "fsync failed: \(e)")
        }
        close(fd)
        fd = -1
        if rename(temporaryPath, target) != 0 {
            let e = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw FormatError(destination, "cannot rename output into place: \(e)")
        }
        committed = true
        // Make the rename durable.
        let (dir, _) = AtomicFileWriter.split(target)
        let dfd = open(dir == "" ? "." : dir, O_RDONLY | O_CLOEXEC)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }

    /// Discards the temporary file; the destination is untouched.
    public func abort() {
        writeback.sync {}  // no writeback request may outlive the descriptor
        if fd >= 0 { close(fd); fd = -1 }
        if !committed { unlink(temporaryPath) }
    }

    deinit { if !committed { abort() } }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        let pending = buffer
        buffer.removeAll(keepingCapacity: true)
        try pending.withUnsafeBytes { try writeAll($0) }
        flushedBytes += pending.count
        startWritebackIfDue()
    }

    /// Asks the kernel to start writing back what was flushed since the last call, every
    /// `writebackInterval` bytes, and to drop from the page cache the range two intervals back,
    /// which has been written back by then. POSIX_FADV_DONTNEED does both: it starts writeback of
    /// dirty pages and evicts clean ones (pages still dirty or under writeback stay). Submitting
    /// writeback can wait for the device queue, so the calls run on `writeback`, not here.
    /// Evicting the file's own written pages keeps free memory for the pages still to be written:
    /// with the page cache full (say, of the checkpoint being converted), each new page would
    /// otherwise be reclaimed from elsewhere, which costs more than copying the data. Only hints:
    /// failures are ignored, `commit()` still fsyncs.
    private func startWritebackIfDue() {
        guard flushedBytes - writebackStart >= writebackInterval else { return }
        #if os(Linux)
        let fd = self.fd, start = off_t(writebackStart), length = off_t(flushedBytes - writebackStart)
        let settled = writebackRanges.count >= 2 ? writebackRanges[writebackRanges.count - 2] : nil
        writeback.async {
            _ = posix_fadvise(fd, start, length, POSIX_FADV_DONTNEED)
            if let settled { _ = posix_fadvise(fd, off_t(settled.lowerBound), off_t(settled.count), POSIX_FADV_DONTNEED) }
        }
        #endif
        writebackRanges.append(writebackStart..<flushedBytes)
        writebackStart = flushedBytes
    }

    /// Writes every byte, appending (`offset` nil) or at a position; retries on EINTR.
    private func writeAll(_ bytes: UnsafeRawBufferPointer, at offset: Int? = nil) throws {
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let n = offset.map { pwrite(fd, base + done, bytes.count - done, off_t($0 + done)) } ?? Glibc.write(fd, base + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                let e = String(cString: strerror(errno))
                abort()
                throw FormatError(destination, "write failed: \(e)")
            }
            done += n
        }
    }

    static func split(_ path: String) -> (String, String) {
        guard let slash = path.lastIndex(of: "/") else { return ("", path) }
        let dir = String(path[..<slash])
        return (dir.isEmpty ? "/" : dir, String(path[path.index(after: slash)...]))
    }

    /// Removes `.NAME.vlmembed-tmp-PID` files whose writing process no longer exists.
    static func removeStaleTemporaries(directory: String, name: String) {
        let prefix = ".\(name).vlmembed-tmp-"
        guard let d = opendir(directory == "" ? "." : directory) else { return }
        defer { closedir(d) }
        while let entry = readdir(d) {
            let entryName = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard entryName.hasPrefix(prefix), let pid = Int32(entryName.dropFirst(prefix.count)) else { continue }
            if pid == getpid() || (kill(pid, 0) != 0 && errno == ESRCH) {
                unlink((directory == "" ? "" : directory + "/") + entryName)
            }
        }
    }
}
