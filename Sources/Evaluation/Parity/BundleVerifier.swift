import Bundle
import Runtime
import Kernels
import ModelGraph
import Models
import Preprocessing
import TensorFormats

/// One probe embedded by the bundle and by the fp32 reference.
public struct ProbeComparison: Sendable {
    public var id: String
    public var kind: String
    public var cosine: Double
    public var maxAbsError: Float
    /// The first traced tensor whose max abs error exceeds `BundleVerifier.driftThreshold` of its
    /// max |value| (nil when none does), with that relative error.
    public var driftStart: String?
    public var driftError: Double?
    /// Whether the reference embedding nearest to this bundle embedding (among all probes) is this probe's own.
    public var nearestIsOwn: Bool
}

/// What `verify` found.
public struct VerificationReport: Sendable {
    public var bundle: String
    public var reference: String
    public var plan: QuantizationPlan
    public var checksumFailures: [String]
    public var probes: [ProbeComparison]
    public var minCosine: Double
    /// The kernel path the bundle's probes ran on (`KernelISA`).
    public var kernelPath: KernelISA = KernelISA.active
    /// The input precision its int4 weights took (the bundle's choice unless the environment
    /// overrode it; `Int4Inputs`).
    public var int4Inputs: Int4Inputs = .int16

    public var worstCosine: Double { probes.map { $0.cosine }.min() ?? 1 }
    /// Fraction of probes whose nearest reference embedding is their own.
    public var top1Agreement: Double { probes.isEmpty ? 1 : Double(probes.filter { $0.nearestIsOwn }.count) / Double(probes.count) }
    public var passed: Bool { checksumFailures.isEmpty && worstCosine >= minCosine && top1Agreement == 1 }
}

/// Checks a bundle against its source: every checksum, then probes embedded by both, compared
/// by cosine, max abs error, where drift starts, and nearest-neighbour agreement.
public struct BundleVerifier {
    /// Relative error (max |Δ| / max |reference|) above which a traced tensor counts as drifted.
    public static let driftThreshold = 1e-2

    /// `--min-cosine` defaults: the lowest over the schemes a bundle uses.
    public static func defaultMinCosine(_ scheme: QuantScheme) -> Double {
        switch scheme {
        case .f32: return 0.99999
        case .f16, .bf16: return 0.999
        case .int8: return 0.995
        case .int4: return 0.95
        }
    }

    public static func defaultMinCosine(for plan: QuantizationPlan) -> Double {
        min(defaultMinCosine(plan.decoder), defaultMinCosine(plan.vision))
    }

    public var minCosine: Double?

    public init(minCosine: Double? = nil) { self.minCosine = minCosine }

    /// Runs every check. `requests` replaces the built-in probes; `log` receives progress lines.
    public func run(bundle bundlePath: String, reference referencePath: String, adapter: String?, mmproj: String? = nil,
                    requests: [EmbeddingRequest]? = nil, log: (String) -> Void = { _ in }) throws -> VerificationReport {
        let bundle = try BundleFile(path: bundlePath)
        log("checking \(bundle.manifest.tensors.count) tensor and \(bundle.manifest.files.count) file checksums")
        let failures = bundle.verifyChecksums()
        let quantized = try EmbeddingEngine.open(ModelSpec(path: bundlePath))
        let reference = try EmbeddingEngine.open(ModelSpec(path: referencePath, adapter: adapter, mmproj: mmproj))
        guard reference.info.backbone == bundle.manifest.architecture.rawValue else {
            throw FormatError(referencePath, "reference is \(reference.info.backbone), the bundle is \(bundle.manifest.architecture.rawValue)")
        }
        let marker = bundle.manifest.head.imageMarker
        typealias Probe = (id: String, kind: String, input: EmbeddingInput)
        var probes: [Probe] = []
        if let requests {
            for r in requests {
                let kind = r.images.isEmpty ? "text" : (r.text.replacingOccurrences(of: marker, with: "").trimmingCharacters(in: .whitespaces).isEmpty ? "image" : "text+image")
                probes.append((r.id, kind, EmbeddingInput(r)))
            }
        } else {
            for p in VerificationProbe.builtIn(imageMarker: marker, textOnly: bundle.manifest.architecture.isTextOnly) {
                probes.append((p.id, p.kind.rawValue, .prompt(id: p.id, p.text, images: p.images.map { .decoded($0) })))
            }
        }
        var bundleEmbeddings: [[Float]] = [], referenceEmbeddings: [[Float]] = []
        var comparisons: [ProbeComparison] = []
        for (i, probe) in probes.enumerated() {
            log("probe \(i + 1)/\(probes.count): \(probe.id)")
            let tq = Trace(), tr = Trace()
            let q = try quantized.embed(probe.input, trace: tq).vector, r = try reference.embed(probe.input, trace: tr).vector
            bundleEmbeddings.append(q)
            referenceEmbeddings.append(r)
            var drift: (String, Double)?
            for e in tr.entries {
                guard let other = tq.entry(e.name), other.values.count == e.values.count else { continue }
                let scale = Double(e.values.map { abs($0) }.max() ?? 0)
                let err = Double(zip(e.values, other.values).map { abs($0 - $1) }.max() ?? 0)
                let rel = scale > 0 ? err / scale : err
                if rel > BundleVerifier.driftThreshold { drift = (e.name, rel); break }
            }
            comparisons.append(ProbeComparison(id: probe.id, kind: probe.kind, cosine: VectorMath.cosine(q, r),
                                               maxAbsError: zip(q, r).map { abs($0 - $1) }.max() ?? 0,
                                               driftStart: drift?.0, driftError: drift?.1, nearestIsOwn: false))
        }
        for i in comparisons.indices {
            let sims = referenceEmbeddings.map { VectorMath.cosine(bundleEmbeddings[i], $0) }
            comparisons[i].nearestIsOwn = sims.indices.max { sims[$0] < sims[$1] } == i
        }
        let plan = bundle.manifest.plan
        return VerificationReport(bundle: bundlePath, reference: referencePath, plan: plan, checksumFailures: failures,
                                  probes: comparisons, minCosine: minCosine ?? BundleVerifier.defaultMinCosine(for: plan),
                                  kernelPath: KernelISA.active, int4Inputs: Int4Inputs.active(preferring: plan.int4Inputs))
    }
}

/// Small vector helpers for reports.
public enum VectorMath {
    /// Cosine similarity in double precision.
    public static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var dot = 0.0, na = 0.0, nb = 0.0
        for (x, y) in zip(a, b) { dot += Double(x) * Double(y); na += Double(x) * Double(x); nb += Double(y) * Double(y) }
        return na > 0 && nb > 0 ? dot / (na.squareRoot() * nb.squareRoot()) : 0
    }
}
