import Foundation
import Testing
@testable import TensorFormats

/// `-o` onto a device, FIFO, socket or directory is refused (never replaced by a regular file);
/// a symbolic link is followed and its target replaced atomically, the link itself kept.
@Suite struct OutputTargetTests {
    static func tempDir() throws -> String {
        let d = NSTemporaryDirectory() + "vlmembed-output-target-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    @Test func deviceIsRefusedAndLeftAlone() throws {
        var before = stat()
        #expect(stat("/dev/null", &before) == 0)
        do { _ = try AtomicFileWriter(destination: "/dev/null"); Issue.record("no error") } catch let e as FormatError {
            #expect(e.description == "/dev/null: output path exists and is not a regular file (a device, FIFO or socket): refusing to replace it")
        }
        var after = stat()
        #expect(stat("/dev/null", &after) == 0 && (after.st_mode & S_IFMT) == S_IFCHR)
    }

    @Test func fifoAndDirectoryAreRefused() throws {
        let d = try Self.tempDir()
        let fifo = d + "/pipe"
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(throws: FormatError.self) { try AtomicFileWriter(destination: fifo) }
        var st = stat()
        #expect(lstat(fifo, &st) == 0 && (st.st_mode & S_IFMT) == S_IFIFO)
        do { _ = try AtomicFileWriter(destination: d); Issue.record("no error") } catch let e as FormatError {
            #expect(e.problem == "output path is a directory")
        }
    }

    @Test func symlinkTargetIsReplacedAndLinkKept() throws {
        let d = try Self.tempDir()
        try Data("old".utf8).write(to: URL(fileURLWithPath: d + "/target.txt"))
        #expect(symlink("target.txt", d + "/link.txt") == 0)
        let w = try AtomicFileWriter(destination: d + "/link.txt")
        try w.write(Array("new".utf8))
        try w.commit()
        #expect(try String(contentsOfFile: d + "/target.txt", encoding: .utf8) == "new")
        var st = stat()
        #expect(lstat(d + "/link.txt", &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK)
        // A dangling link writes its target.
        #expect(symlink(d + "/fresh.txt", d + "/dangling.txt") == 0)
        let w2 = try AtomicFileWriter(destination: d + "/dangling.txt")
        try w2.write(Array("x".utf8))
        try w2.commit()
        #expect(try String(contentsOfFile: d + "/fresh.txt", encoding: .utf8) == "x")
    }

    @Test func symlinkLoopIsRefused() throws {
        let d = try Self.tempDir()
        #expect(symlink(d + "/b", d + "/a") == 0 && symlink(d + "/a", d + "/b") == 0)
        #expect(throws: FormatError.self) { try AtomicFileWriter(destination: d + "/a") }
    }
}
