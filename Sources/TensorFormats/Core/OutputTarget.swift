#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where an output path really writes. Outputs replace a regular file atomically (a temporary
/// beside it, renamed over it), so the path must name one, or nothing yet:
/// - an existing device, FIFO, socket or directory is refused (renaming over `/dev/full` would
///   replace the device node with a regular file);
/// - a symbolic link is followed (up to 40 links, relative targets resolved against the link's
///   folder) and its final target is replaced atomically; the link itself stays.
public enum OutputTarget {
    /// The most symbolic links followed (Linux's own limit, ELOOP).
    public static let maxLinks = 40

    /// The regular-file path `destination` writes to; errors name `destination`.
    public static func resolve(_ destination: String) throws -> String {
        var path = destination
        for _ in 0...maxLinks {
            var st = stat()
            guard lstat(path, &st) == 0 else {
                if errno == ENOENT { return path }  // a new file (or a dangling link's target)
                throw FormatError(destination, "cannot inspect output path: \(String(cString: strerror(errno)))")
            }
            switch st.st_mode & S_IFMT {
            case S_IFREG:
                return path
            case S_IFLNK:
                path = try linkTarget(path, destination: destination)
            case S_IFDIR:
                throw FormatError(destination, "output path is a directory")
            default:
                throw FormatError(destination, "output path exists and is not a regular file (a device, FIFO or socket): refusing to replace it")
            }
        }
        throw FormatError(destination, "output path is a chain of more than \(maxLinks) symbolic links")
    }

    /// The target of the symbolic link at `path`, resolved against the link's folder when relative.
    private static func linkTarget(_ path: String, destination: String) throws -> String {
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = buffer.withUnsafeMutableBufferPointer { b in
            b.baseAddress.map { readlink(path, UnsafeMutableRawPointer($0).assumingMemoryBound(to: CChar.self), b.count - 1) } ?? -1
        }
        guard n > 0 else { throw FormatError(destination, "cannot read symbolic link \(path): \(String(cString: strerror(errno)))") }
        let target = String(decoding: buffer[0..<n], as: UTF8.self)
        if target.hasPrefix("/") { return target }
        guard let slash = path.lastIndex(of: "/") else { return target }
        return String(path[...slash]) + target
    }
}
