import Foundation

extension EvalReport {
    /// The report as a plain-text table (P@1 in percent): one line per dataset, then the meta-tasks,
    /// IND/OOD and overall; with a compared model, its P@1, the delta and the changed top-1 share.
    public func table() -> String {
        let comparing = compareModel != nil
        var header = ["dataset", "meta-task", "split", "queries", "P@1"]
        if comparing { header += ["P@1 (B)", "delta", "top-1 changed"] }
        var rows: [[String]] = []
        for d in datasets {
            var row = [d.info.name, d.info.metaTask.rawValue, d.info.split.rawValue,
                       d.skipped > 0 ? "\(d.queries) (+\(d.skipped) skipped)" : "\(d.queries)", Self.percent(d.precision)]
            if comparing {
                row += [Self.percent(d.comparePrecision), Self.signedPercent(d.comparePrecision.flatMap { c in d.precision.map { c - $0 } }),
                        Self.percent(d.changedFraction)]
            }
            rows.append(row)
        }
        var summary: [[String]] = []
        func summaryRow(_ label: String, _ a: Aggregate) -> [String] {
            var row = [label, "", "", "\(a.datasets) dataset\(a.datasets == 1 ? "" : "s")", Self.percent(a.precision)]
            if comparing { row += [Self.percent(a.comparePrecision), Self.signedPercent(a.comparePrecision.map { $0 - a.precision }), ""] }
            return row
        }
        for (task, a) in metaTasks { summary.append(summaryRow(task.rawValue, a)) }
        for (split, a) in splits { summary.append(summaryRow(split.rawValue, a)) }
        if let overall {
            var row = summaryRow("overall", overall)
            if comparing { row[row.count - 1] = Self.percent(changedFraction) }
            summary.append(row)
        }
        let all = [header] + rows + summary
        let widths = header.indices.map { c in all.map { $0[c].count }.max() ?? 0 }
        func render(_ row: [String]) -> String {
            row.enumerated().map { c, cell in
                c < 3 ? cell.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                      : String(repeating: " ", count: widths[c] - cell.count) + cell
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        var lines = ["model A: \(model.backbone) \(model.identity.prefix(12))"]
        if let compareModel { lines.append("model B: \(compareModel.backbone) \(compareModel.identity.prefix(12))") }
        lines.append(render(header))
        lines += rows.map(render)
        lines.append(String(repeating: "-", count: widths.reduce(0, +) + 2 * (widths.count - 1)))
        lines += summary.map(render)
        return lines.joined(separator: "\n")
    }

    static func percent(_ x: Double?) -> String {
        guard let x else { return "—" }
        return String(format: "%.1f", x * 100)
    }

    static func signedPercent(_ x: Double?) -> String {
        guard let x else { return "—" }
        return String(format: "%+.1f", x * 100)
    }
}
