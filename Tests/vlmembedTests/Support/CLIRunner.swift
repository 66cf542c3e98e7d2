import Foundation
import TensorFormats
import Testing

/// Runs the built `vlmembed` binary (next to the test bundle) and captures its output.
enum CLIRunner {
    struct Output {
        let status: Int32
        let stdout: String
        let stderr: String
        /// stderr lines that are errors (log lines excluded).
        var errorLines: [String] { stderr.split(separator: "\n").map(String.init).filter { $0.hasPrefix("vlmembed: error:") } }
    }

    static let repoRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()

    static let fixtures = repoRoot + "/Fixtures"

    static let binary: String = {
        let bundleDir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [bundleDir, bundleDir.deletingLastPathComponent()] {
            let p = candidate.appendingPathComponent("vlmembed").path
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return repoRoot + "/.build/debug/vlmembed"
    }()

    static func run(_ args: [String], environment: [String: String]? = nil, executable: String? = nil) throws -> Output {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable ?? binary)
        p.arguments = args
        if let environment { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Output(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    static func temporaryDirectory() throws -> String {
        let dir = NSTemporaryDirectory() + "vlmembed-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }
}

/// A key of the `quantization` object `inspect --json` prints for a bundle (e.g. `int4_inputs`, `int4_method`).
func bundleQuantizationSetting(_ bundle: String, _ key: String) throws -> String? {
    let i = try CLIRunner.run(["inspect", bundle, "--json"])
    #expect(i.status == 0, "\(i.stderr)")
    return try Array(i.stdout.utf8).withUnsafeBytes { try JSONParser.parse($0) }["quantization"]?[key]?.stringValue
}
