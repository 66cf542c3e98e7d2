import Testing
@testable import TensorFormats

/// Files that report size 0 but stream (`/proc`, devices) are read as streams, not taken as
/// empty; a stream past the limit is refused.
@Suite struct StreamedFileTests {
    @Test func procFileIsReadAsAStream() throws {
        let f = try MappedFile(path: "/proc/self/status")
        #expect(f.count > 0)
        #expect(String(decoding: f.bytes, as: UTF8.self).contains("Name:"))
        // A JSON reader then sees the bytes (and refuses them as JSON, not as an empty file).
        #expect { try JSONParser.parse(contentsOf: "/proc/self/status") } throws: { !"\($0)".contains("empty") }
    }

    @Test func endlessDeviceIsRefusedAtTheLimit() throws {
        do { _ = try MappedFile(path: "/dev/zero"); Issue.record("no error") } catch let e as FormatError {
            #expect(e.description == "/dev/zero: is not a regular file and streams more than \(MappedFile.streamLimit) bytes")
        }
    }

    @Test func emptyDeviceIsEmpty() throws {
        #expect(try MappedFile(path: "/dev/null").count == 0)
    }
}
