import Kernels
import Models
import Preprocessing
import TensorFormats

/// Calibration for `Int4Method.importance`: runs the fp32 forward pass of the source model (the
/// adapter merged, exactly as `embed` runs it) over calibration requests, one request at a time,
/// and records for every linear layer the mean of x² of each input column. Only those sums are
/// kept, never the activations: memory is the model's plus one request's forward.
public enum ImportanceCalibration {
    /// The statistics of `requests` (in order; deterministic for a given thread count's kernels).
    /// A request that fails (missing image, too long, …) is an error naming `file` and its id. A
    /// text-only model skips the requests with images (`skipped` counts them), which calibrate
    /// only models that take images.
    ///
    /// With `secondMoments`, also E[xᵀx] per linear (GPTQ), within `LinearInputStatistics`'s
    /// budget: a model whose matrices would not fit is an error.
    public static func run(_ spec: ModelSpec, requests all: [EmbeddingRequest], file: String, options: EngineOptions = EngineOptions(),
                           secondMoments: Bool = false, skipped: inout Int, progress: ((Int, Int) -> Void)? = nil) throws -> LinearInputStatistics {
        guard !all.isEmpty else { throw FormatError(file, "no calibration requests") }
        let engine = try EmbeddingEngine.open(spec, options: options)
        let requests = engine.info.takesImages ? all : all.filter { $0.images.isEmpty }
        skipped = all.count - requests.count
        guard !requests.isEmpty else { throw FormatError(file, "no calibration request without images, and \(spec.path) is a text-only model") }
        // Every request is checked (tokens, context, images) before the first forward runs.
        let prepared = try requests.map { r in
            do { return try engine.prepare(EmbeddingInput(r)) } catch { throw FormatError(file, "calibration request '\(r.id)': \(error)") }
        }
        let statistics = LinearInputStatistics(secondMoments: secondMoments)
        // OpenBLAS's threaded sgemm sums in an order that depends on its thread count; one BLAS
        // thread makes the activations, and so the statistics and the bundle, the same at any
        // --threads (vlmembed's own kernels split work without changing any sum).
        BLAS.setThreadCount(1)
        defer { BLAS.setThreadCount(Parallel.threadCount) }
        try LinearInputStatistics.$current.withValue(statistics) {
            for (i, p) in prepared.enumerated() {
                do { _ = try engine.embed(p) } catch { throw FormatError(file, "calibration request '\(requests[i].id)': \(error)") }
                if let needed = statistics.secondMomentsNeeded {
                    throw RuntimeError("\(spec.path): GPTQ's second-moment matrices need more than \(needed >> 20) MiB (budget \(statistics.secondMomentBudget >> 20) MiB); use --method importance for a model this size")
                }
                progress?(i + 1, prepared.count)
            }
        }
        return statistics
    }

    /// Writes the statistics as safetensors: one f32 tensor of per-column means per weight name,
    /// the row counts in the metadata (`rows.<name>`), atomically.
    public static func save(_ statistics: LinearInputStatistics, to path: String) throws {
        var tensors: [(TensorDescriptor, [UInt8])] = []
        var metadata = ["format": "vlmembed-importance", "statistic": "mean of x^2 per input column"]
        for name in statistics.names {
            guard let means = statistics.importance(name) else { continue }
            tensors.append((TensorDescriptor(name: name, shape: [means.count], encoding: .dense(.f32)), DenseCodec.encode(means, as: .f32)))
            metadata["rows." + name] = String(statistics.rows(name))
        }
        try SafetensorsWriter.write(to: path, tensors: tensors, metadata: metadata)
    }

    /// Reads statistics `save` wrote; every tensor must be a finite, non-negative f32 vector.
    public static func load(_ path: String) throws -> LinearInputStatistics {
        let file = try SafetensorsFile(path: path)
        guard file.metadata["format"] == "vlmembed-importance" else {
            throw FormatError(path, "not an importance file (metadata format is '\(file.metadata["format"] ?? "none")', expected 'vlmembed-importance')")
        }
        let statistics = LinearInputStatistics()
        for t in file.tensors {
            guard t.shape.count == 1 else { throw FormatError(path, "tensor '\(TerminalText.escaped(t.name))' has shape \(t.shape), expected one dimension") }
            let values = try file.floats(named: t.name)
            guard values.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
                throw FormatError(path, "tensor '\(TerminalText.escaped(t.name))' has negative or non-finite importance")
            }
            guard let rows = file.metadata["rows." + t.name].flatMap(Int.init), rows > 0 else {
                throw FormatError(path, "tensor '\(TerminalText.escaped(t.name))' has no positive 'rows.\(TerminalText.escaped(t.name))' metadata")
            }
            statistics.add(t.name, means: values, rows: rows)
        }
        return statistics
    }
}

extension ImportanceCalibration {
    /// The repository's default calibration set, relative to its root.
    public static let defaultSet = "Fixtures/calibration/requests.jsonl"

    /// Where the default calibration set is: `$VLMEMBED_CALIBRATION` when set, else
    /// `Fixtures/calibration/requests.jsonl` in the checkout the executable was built in
    /// (`<root>/.build/<config>/vlmembed`) or in the current directory; nil when none exists.
    public static func defaultRequestsPath(executable: String, environment: [String: String]) -> String? {
        if let p = environment["VLMEMBED_CALIBRATION"], !p.isEmpty { return p }
        var candidates = [defaultSet]
        var dir = executable
        for _ in 0..<4 {
            guard let slash = dir.lastIndex(of: "/") else { break }
            dir = String(dir[..<slash])
            candidates.append((dir.isEmpty ? "" : dir + "/") + defaultSet)
        }
        return candidates.first { FileSystem.isFile($0) }
    }
}

/// What calibration measured: each linear input column's mean x² (`LinearInputStatistics`).
public typealias CalibrationStatistics = LinearInputStatistics
