import Foundation
import FuzzEntries
import Testing

/// Replays every committed fuzz input — the seed corpora (`Fuzz/corpus/<target>/`) and the inputs
/// that once crashed, hung or blew memory (`Fuzz/regressions/<target>/`) — through the same entry
/// points the libFuzzer harness calls. Each must return or throw; a crash fails the whole run, so
/// a regression shows up as `make test` dying on the file named in the log line before it.
@Suite struct FuzzRegressionTests {
    static let fuzzRoot = FuzzEntries.repoRoot + "/Fuzz"
    static let verbose = ProcessInfo.processInfo.environment["FUZZ_REPLAY_VERBOSE"] == "1"

    static func files(_ kind: String, _ target: String) -> [String] {
        let dir = fuzzRoot + "/" + kind + "/" + target
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { dir + "/" + $0 }
    }

    @Test("every target has a seed corpus and a regressions folder")
    func layout() {
        for name in FuzzEntries.names {
            #expect(!Self.files("corpus", name).isEmpty, "Fuzz/corpus/\(name) is empty")
            #expect(FileManager.default.fileExists(atPath: Self.fuzzRoot + "/regressions/" + name), "Fuzz/regressions/\(name) is missing")
        }
        let known = Set(FuzzEntries.names)
        for kind in ["corpus", "regressions"] {
            let dirs = (try? FileManager.default.contentsOfDirectory(atPath: Self.fuzzRoot + "/" + kind)) ?? []
            for d in dirs where !d.hasPrefix(".") { #expect(known.contains(d), "Fuzz/\(kind)/\(d) names no target") }
        }
    }

    @Test("committed inputs return or throw", arguments: FuzzEntries.names)
    func replay(_ target: String) throws {
        let entry = try #require(FuzzEntries.entry(named: target))
        for path in Self.files("regressions", target) + Self.files("corpus", target) {
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            // FUZZ_REPLAY_VERBOSE=1 names each input before it runs, so a crash names its input.
            if Self.verbose { print("fuzz replay \(target): \(path.dropFirst(Self.fuzzRoot.count + 1))") }
            do { try bytes.withUnsafeBytes { try entry($0) } } catch {
                #expect(!"\(error)".isEmpty)
            }
        }
    }
}
