import Foundation
import TensorFormats

/// The entry points the fuzz harness (`Fuzz/Harness`, built by `make fuzz`) and the regression
/// replay test (`Tests/FuzzEntriesTests`) share: one function per parser that takes bytes from
/// outside. Each takes the raw input, runs it through the library as the command line would
/// (writing it to a scratch file when the reader takes a path) and either returns or throws.
/// Anything else — a trap, a sanitizer report, a hang, an allocation the input does not
/// justify — is a bug in the library, not in the entry.
///
/// Targets are named as their folders in `Fuzz/corpus/` and `Fuzz/regressions/`.
public enum FuzzEntries {
    public typealias Entry = @Sendable (UnsafeRawBufferPointer) throws -> Void

    /// Every target, by name, in the order `make fuzz` runs them.
    public static let targets: [(name: String, entry: Entry)] = [
        ("safetensors", CheckpointEntries.safetensors),
        ("gguf", CheckpointEntries.gguf),
        ("pickle", CheckpointEntries.pickle),
        ("torch_zip", CheckpointEntries.torchZip),
        ("bundle", BundleEntries.bundle),
        ("config", ConfigEntries.config),
        ("preprocessor_config", ConfigEntries.preprocessorConfig),
        ("adapter_config", ConfigEntries.adapterConfig),
        ("tokenizer_json", TokenizerEntries.tokenizerJSON),
        ("tokenizer_model", TokenizerEntries.tokenizerModel),
        ("added_tokens", TokenizerEntries.addedTokens),
        ("gguf_vocab", TokenizerEntries.ggufVocab),
        ("tokenizer_text", TokenizerEntries.text),
        ("requests", RequestEntries.requests),
        ("api_body", RequestEntries.apiBody),
        ("eval_rows", EvalEntries.rows),
        ("eval_catalog", EvalEntries.catalog),
        ("eval_shards", EvalEntries.shards),
        ("image", ImageEntries.image),
    ]

    public static var names: [String] { targets.map(\.name) }

    /// The entry of a target, or nil for an unknown name.
    public static func entry(named name: String) -> Entry? {
        targets.first { $0.name == name }?.entry
    }

    /// The repository root (Fixtures/ holds the fixed models some entries parse against).
    public static let repoRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()
}

/// A private scratch folder per call: readers that take a path get the input as a file named as
/// the command line would name it. Removed when the call returns.
enum Scratch {
    private static let base: String = {
        let dir = NSTemporaryDirectory() + "vlmembed-fuzz-\(getpid())"
        mkdir(dir, 0o700)
        return dir
    }()
    private static let counter = Counter()

    /// Runs `body` with a fresh folder holding `files` (name → bytes); the folder is removed after.
    static func with<T>(_ files: [(String, UnsafeRawBufferPointer)], _ body: (String) throws -> T) throws -> T {
        let dir = base + "/\(counter.next())"
        mkdir(dir, 0o700)
        defer { removeTree(dir) }
        for (name, bytes) in files { try write(bytes, to: dir + "/" + name) }
        return try body(dir)
    }

    static func write(_ bytes: UnsafeRawBufferPointer, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FormatError(path, "fuzz scratch: cannot create") }
        defer { close(fd) }
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            guard n > 0 else { throw FormatError(path, "fuzz scratch: short write") }
            done += n
        }
    }

    private static func removeTree(_ dir: String) {
        try? FileManager.default.removeItem(atPath: dir)
    }

    final class Counter: @unchecked Sendable {
        private var value = 0
        private let lock = NSLock()
        func next() -> Int { lock.lock(); defer { lock.unlock() }; value += 1; return value }
    }
}

extension UnsafeRawBufferPointer {
    /// The bytes as text, invalid UTF-8 repaired (as the readers that take text do).
    var text: String { String(decoding: self, as: UTF8.self) }
}

/// Reads a repository fixture once (fixed models some entries need beside the fuzzed input).
enum FixtureFile {
    static func bytes(_ relative: String) -> [UInt8] {
        let path = FuzzEntries.repoRoot + "/" + relative
        guard let data = FileManager.default.contents(atPath: path) else { fatalError("fuzz entries: fixture \(path) is missing") }
        return [UInt8](data)
    }

    static func json(_ relative: String) -> JSONValue {
        let b = bytes(relative)
        return b.withUnsafeBytes { try! JSONParser.parse($0) }
    }
}
