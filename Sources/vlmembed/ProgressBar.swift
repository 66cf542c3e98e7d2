import Foundation

/// `label [#####.....] done/total ETA m:ss` on stderr when it is a terminal; silent otherwise.
final class ProgressBar {
    let label: String
    let enabled = CLI.stderrIsTerminal
    private let start = Date()
    private var lastDraw = Date.distantPast

    init(label: String) { self.label = label }

    func update(_ done: Int, _ total: Int) {
        guard enabled, total > 0 else { return }
        let now = Date()
        guard done == total || now.timeIntervalSince(lastDraw) >= 0.1 else { return }
        lastDraw = now
        let width = 30
        let filled = width * done / total
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        var eta = "--:--"
        if done > 0 {
            let remaining = Int(now.timeIntervalSince(start) / Double(done) * Double(total - done))
            eta = String(format: "%d:%02d", remaining / 60, remaining % 60)
        }
        CLI.writeStderr("\r\(label) [\(bar)] \(done)/\(total) ETA \(eta)  ")
        if done == total { CLI.writeStderr("\n") }
    }
}
