// The libFuzzer harness for every target in FuzzEntries (see Fuzz/README.md). One binary; the
// target is chosen by the FUZZ_TARGET environment variable, because libFuzzer owns argv.
//
// Built by `make fuzz` (Fuzz/run.sh) with -sanitize=fuzzer,address -DVLMEMBED_LIBFUZZER. Built
// without them (`VLMEMBED_FUZZ=1 swift build --product vlmembed-fuzz`) it replays files instead:
// `vlmembed-fuzz TARGET FILE...` prints each file's outcome (ok / one-line error).
import CFuzzDriver
import FuzzEntries
#if canImport(Glibc)
import Glibc
#endif

func printError(_ message: String) {
    var line = message + "\n"
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

#if VLMEMBED_LIBFUZZER
nonisolated(unsafe) var selected: FuzzEntries.Entry?

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let entry = selected else { return -1 }
    _ = try? entry(UnsafeRawBufferPointer(start: size == 0 ? nil : data, count: size))
    return 0
}

let name = getenv("FUZZ_TARGET").map { String(cString: $0) } ?? ""
guard let entry = FuzzEntries.entry(named: name) else {
    printError("vlmembed-fuzz: set FUZZ_TARGET to one of: \(FuzzEntries.names.joined(separator: " "))")
    exit(2)
}
selected = entry
// One input before the driver starts: a target's one-time setup (tokenizer fixtures, tables: ~1.5 s
// under ASan) must not count against the first input's -timeout, or a starved fork-mode job
// reports that setup as a hang.
_ = try? entry(UnsafeRawBufferPointer(start: nil, count: 0))
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { fuzzOne($0, $1) })
#else
let args = Array(CommandLine.arguments.dropFirst())
guard let name = args.first, let entry = FuzzEntries.entry(named: name) else {
    printError("usage: vlmembed-fuzz TARGET FILE...   targets: \(FuzzEntries.names.joined(separator: " "))")
    exit(2)
}
for path in args.dropFirst() {
    guard let f = fopen(path, "rb") else { print("\(path): cannot open"); continue }
    var bytes: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 65536)
    while true { let n = fread(&buf, 1, buf.count, f); if n <= 0 { break }; bytes += buf[0..<n] }
    fclose(f)
    do { try bytes.withUnsafeBytes { try entry($0) }; print("\(path): ok") } catch { print("\(path): \(error)") }
}
#endif
