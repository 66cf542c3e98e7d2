import Foundation

/// `label [#####.....] done/total ETA m:ss detail` on stderr when it is a terminal; silent
/// otherwise. Counts are shown as items, or as bytes (kB/MB/GB) with `bytes: true`.
final class ProgressBar {
    let label: String
    let bytes: Bool
    let enabled = CLI.stderrIsTerminal
    private let start = Date()
    private var lastDraw = Date.distantPast

    init(label: String, bytes: Bool = false) {
        self.label = label
        self.bytes = bytes
    }

    func update(_ done: Int, _ total: Int, detail: String = "") {
        guard enabled, total > 0 else { return }
        let now = Date()
        guard done == total || now.timeIntervalSince(lastDraw) >= 0.1 else { return }
        lastDraw = now
        let width = 30
        let filled = width * min(done, total) / total
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        var eta = "--:--"
        if done > 0 {
            let remaining = Int(now.timeIntervalSince(start) / Double(done) * Double(total - done))
            eta = String(format: "%d:%02d", remaining / 60, remaining % 60)
        }
        let counts = bytes ? "\(Self.bytes(done))/\(Self.bytes(total))" : "\(done)/\(total)"
        CLI.writeStderr("\r\u{1B}[K\(label) [\(bar)] \(counts) ETA \(eta) \(detail.suffix(40))")
        if done == total { CLI.writeStderr("\n") }
    }

    /// A byte count for people: kB, MB or GB.
    static func bytes(_ n: Int) -> String {
        let d = Double(n)
        if d >= 1e9 { return String(format: "%.2f GB", d / 1e9) }
        if d >= 1e6 { return String(format: "%.1f MB", d / 1e6) }
        return String(format: "%.0f kB", d / 1e3)
    }
}
