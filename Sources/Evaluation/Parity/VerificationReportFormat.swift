import Foundation
import Kernels
import ModelGraph
import TensorFormats

extension VerificationReport {
    /// The human-readable report `verify` prints.
    public var text: String {
        var lines = ["bundle     \(bundle)", "reference  \(reference)",
                     "schemes    decoder \(plan.decoder.name), vision \(plan.vision.name)"
                        + (plan.hasInt4 ? "; int4 weights took \(int4Inputs.rawValue) inputs" : "") + "; kernel path \(kernelPath)",
                     "checksums  " + (checksumFailures.isEmpty ? "ok" : "FAILED: " + checksumFailures.joined(separator: ", "))]
        lines.append("probe                      kind         cosine        max|Δ|     drift starts at")
        for p in probes {
            let drift = p.driftStart.map { "\($0) (\(String(format: "%.1e", p.driftError ?? 0)))" } ?? "-"
            lines.append(p.id.padding(toLength: 26, withPad: " ", startingAt: 0) + " " + p.kind.padding(toLength: 12, withPad: " ", startingAt: 0)
                         + String(format: " %.8f  %.3e  ", p.cosine, p.maxAbsError) + drift + (p.nearestIsOwn ? "" : "  [nearest is another probe]"))
        }
        lines.append(String(format: "worst cosine %.8f (minimum %.5f), top-1 agreement %d/%d", worstCosine, minCosine,
                            probes.filter { $0.nearestIsOwn }.count, probes.count))
        lines.append(passed ? "PASS" : "FAIL")
        return lines.joined(separator: "\n")
    }

    /// One JSON object with every figure.
    public var json: JSONValue {
        .object([
            ("bundle", .string(bundle)), ("reference", .string(reference)),
            ("schemes", .object([("decoder", .string(plan.decoder.name)), ("vision", .string(plan.vision.name)),
                                 ("int4_inputs", .string(int4Inputs.rawValue))])),
            ("kernel_path", .string(kernelPath.rawValue)),
            ("checksums_ok", .bool(checksumFailures.isEmpty)), ("checksum_failures", .array(checksumFailures.map { .string($0) })),
            ("probes", .array(probes.map { p in
                .object([("id", .string(p.id)), ("kind", .string(p.kind)), ("cosine", .double(p.cosine)), ("max_abs_error", .double(Double(p.maxAbsError))),
                         ("drift_start", p.driftStart.map { .string($0) } ?? .null), ("drift_relative_error", p.driftError.map { .double($0) } ?? .null),
                         ("nearest_is_own", .bool(p.nearestIsOwn))])
            })),
            ("worst_cosine", .double(worstCosine)), ("min_cosine", .double(minCosine)), ("top1_agreement", .double(top1Agreement)),
            ("passed", .bool(passed)),
        ])
    }
}
