import Kernels
import ModelGraph
import TensorFormats

/// How far a bundle write has come (output bytes), for progress bars.
public struct BundleProgress: Sendable {
    public var tensorsDone: Int
    public var tensorCount: Int
    public var bytesDone: Int
    public var bytesTotal: Int
    public var currentTensor: String
}

/// Writes a `.vlmb` bundle from a model graph, one tensor at a time: each tensor is read from its
/// (mapped) source, merged if an adapter pass deferred it, quantized, hashed and appended; its
/// source pages are then released. int8/int4 tensors stream a tile of rows at a time
/// (`QuantizedTensorStream`), so peak memory is about one tensor's scales plus two 1 MB tiles —
/// and one tensor in fp32 where a pass computed its values (adapter merges) or its encoding is not
/// f32/f16/bf16. The output appears only when complete (temporary file, fsync, rename).
public struct BundleWriter {
    public var plan: QuantizationPlan
    /// Recorded in the manifest's `source`.
    public var adapterPath: String?
    public var mergedModules: Int = 0
    public var generator = "vlmembed " + BundleWriter.version
    /// Checks the files to embed before anything is written (the caller passes a tokenizer
    /// build: this target does not know tokenizers), so that a bundle never carries a tokenizer
    /// that fails to load. The configs are always re-checked by the architecture's parser.
    public var validateFiles: ((ModelFiles) throws -> Void)?
    /// Per-column importance of a linear's input (calibration's mean x², `columns` values) by
    /// tensor name, for `Int4Method.importance`; nil for a tensor without one.
    public var importance: ((String) -> [Float]?)?
    /// E[xᵀx] of a linear's input (`columns²` values) by tensor name, for `Int4Method.gptq`; a
    /// tensor without one is coded as `importance` does.
    public var secondMoments: ((String) -> [Double]?)?
    public static let version = "0.3.0"

    public init(plan: QuantizationPlan, adapterPath: String? = nil, mergedModules: Int = 0) {
        self.plan = plan
        self.adapterPath = adapterPath
        self.mergedModules = mergedModules
    }

    /// Files a bundle embeds from the source (tokenizer and configs), when present.
    public static let embeddedFileNames = ["tokenizer.gguf", "tokenizer.json", "tokenizer_config.json", "tokenizer.model", "added_tokens.json",
                                           "special_tokens_map.json", "config.json", "preprocessor_config.json"]

    /// Writes `graph` (with its embedding head attached) to `path`.
    public func write(_ graph: ModelGraph, to path: String, progress: ((BundleProgress) -> Void)? = nil) throws {
        guard let head = graph.head else { throw FormatError(path, "the model graph has no embedding head (attach it before writing a bundle)") }
        guard let configBytes = try graph.files.bytes("config.json") else { throw FormatError(graph.files.origin, "no config.json to embed") }
        let config = try configBytes.withUnsafeBytes { try JSONParser.parse($0) }
        let preprocessor = try graph.files.bytes("preprocessor_config.json").map { b in try b.withUnsafeBytes { try JSONParser.parse($0) } }
        // What a reader of the bundle will parse must parse now: never embed a config or tokenizer that fails.
        _ = try Architectures.adapter(for: graph.config.kind).parseConfig(config, file: graph.files.origin + ":config.json", preprocessor: preprocessor)
        try validateFiles?(graph.files)

        // Layout, relative to the data section: files first, then tensors in graph order.
        var cursor = 0
        func reserve(_ length: Int) -> BundleSection {
            let s = BundleSection(offset: cursor, length: length)
            cursor = align(cursor + length)
            return s
        }
        var fileBytes: [(String, [UInt8])] = []
        for name in BundleWriter.embeddedFileNames {
            if let b = try graph.files.bytes(name) { fileBytes.append((name, b)) }
        }
        var files = fileBytes.map { BundleFileEntry(name: $0.0, section: reserve($0.1.count), sha256: SHA256.hex($0.1)) }
        var entries: [BundleTensorEntry] = []
        let placeholder = String(repeating: "0", count: 64)
        for name in graph.tensorNames {
            let t = try graph.tensor(name)
            let scheme = plan.scheme(for: t)
            let rows = t.shape.first ?? 1, columns = rows == 0 ? 0 : t.elementCount / rows
            let sizes = WeightQuantizer.sectionSizes(rows: rows, columns: columns, scheme: scheme)
            entries.append(BundleTensorEntry(name: name, shape: t.shape, scheme: scheme, role: TensorRole.of(name, shape: t.shape),
                                             data: reserve(sizes.data), scales: sizes.scales > 0 ? reserve(sizes.scales) : nil,
                                             zeros: sizes.zeros > 0 ? reserve(sizes.zeros) : nil, sha256: placeholder))
        }
        let dataLength = cursor

        // The manifest's length does not depend on the digests (fixed width), only on the offsets.
        var manifest = BundleManifest(formatVersion: "\(BundleHeader.currentMajor).\(BundleHeader.currentMinor)", generator: generator,
                                      architecture: graph.config.kind, config: config, preprocessorConfig: preprocessor, head: head, plan: plan,
                                      sourcePath: graph.sourcePath, adapterPath: adapterPath, mergedModules: mergedModules, files: files, tensors: entries)
        var dataOffset = align(BundleHeader.size + Array(manifest.json().serialized().utf8).count)
        while true {
            let shifted = BundleWriter.shifted(manifest, by: dataOffset)
            let length = Array(shifted.json().serialized().utf8).count
            if align(BundleHeader.size + length) <= dataOffset { manifest = shifted; break }
            dataOffset = align(BundleHeader.size + length)
        }
        files = manifest.files
        entries = manifest.tensors
        let manifestLength = Array(manifest.json().serialized().utf8).count
        let fileLength = dataOffset + dataLength

        let out = try AtomicFileWriter(destination: path)
        do {
            try out.writeZeros(dataOffset)
            for (i, f) in files.enumerated() {
                try pad(out, to: f.section.offset)
                try out.write(fileBytes[i].1)
            }
            var report = BundleProgress(tensorsDone: 0, tensorCount: entries.count, bytesDone: 0, bytesTotal: fileLength, currentTensor: "")
            for i in entries.indices {
                let entry = entries[i]
                report.currentTensor = entry.name
                progress?(report)
                let tensor = try graph.tensor(entry.name)
                var hash = SHA256()
                // GPTQ's H is built once per tensor (columns² values), and GPTQ needs the whole tensor.
                let h = try gptqMoments(entry)
                if h == nil, let stream = try streamedQuantization(tensor, entry: entry) {
                    try produceStreamed(tensor, entry: entry, stream: stream, out: out, hash: &hash)
                } else {
                    try produce(tensor, entry: entry, gptq: h) { section, bytes in
                        try pad(out, to: section.offset)
                        try out.write(bytes)
                        hash.update(bytes)
                    }
                }
                entries[i].sha256 = SHA256.hexEncoded(hash.finalize())
                report.tensorsDone = i + 1
                report.bytesDone = out.bytesWritten
                progress?(report)
            }
            try pad(out, to: fileLength)
            manifest.tensors = entries
            let manifestBytes = Array(manifest.json().serialized().utf8)
            guard manifestBytes.count == manifestLength else { throw FormatError(path, "internal error: manifest length changed while writing") }
            var digest = SHA256()
            digest.update(manifestBytes)
            let header = BundleHeader(manifestLength: UInt64(manifestLength), dataOffset: UInt64(dataOffset),
                                      fileLength: UInt64(fileLength), manifestSHA256: digest.finalize())
            try out.overwrite(header.encoded() + manifestBytes, at: 0)
            try out.commit()
        } catch {
            out.abort()
            throw error
        }
    }

    /// Streams one tensor's sections (data, scales, zeros) in the entry's scheme.
    private func produce(_ tensor: GraphTensor, entry: BundleTensorEntry, gptq h: [Double]? = nil,
                         emit: (BundleSection, UnsafeRawBufferPointer) throws -> Void) throws {
        // Unchanged source bytes (same float dtype) are copied as they are.
        if case .source(let source, let name) = tensor.value, tensor.sourceFloatScheme == entry.scheme {
            let data = try source.tensorData(named: name)
            try emit(entry.data, data.bytes)
            data.releaseResidentPages()
            return
        }
        let values = try tensor.floats()
        guard values.count == entry.rows * entry.columns else {
            throw FormatError(tensor.name, "has \(values.count) values, shape \(tensor.shape) needs \(entry.rows * entry.columns)")
        }
        if entry.scheme.isQuantized { try checkQuantizable(values, tensor: tensor.name, scheme: entry.scheme) }
        let q: QuantizedBytes
        if let h {
            q = GPTQQuantizer.quantize(values, rows: entry.rows, columns: entry.columns, scheme: entry.scheme, h: h)
        } else {
            let weights = try columnImportance(entry)
            q = values.withUnsafeBufferPointer {
                WeightQuantizer.quantize($0, rows: entry.rows, columns: entry.columns, scheme: entry.scheme, method: plan.int4Method,
                                         importance: weights)
            }
        }
        try q.data.withUnsafeBytes { try emit(entry.data, $0) }
        if let s = entry.scales { try q.scales.withUnsafeBytes { try emit(s, $0) } }
        if let z = entry.zeros { try q.zeros.withUnsafeBytes { try emit(z, $0) } }
        tensor.releaseSourcePages()
    }

    /// The row stream for an int8/int4 entry (nil for float schemes and empty tensors, which
    /// `produce` writes).
    private func streamedQuantization(_ tensor: GraphTensor, entry: BundleTensorEntry) throws -> QuantizedTensorStream? {
        guard entry.scheme.isQuantized, entry.rows > 0, entry.columns > 0 else { return nil }
        return QuantizedTensorStream(rows: entry.rows, columns: entry.columns, scheme: entry.scheme, method: plan.int4Method,
                                     importance: try columnImportance(entry))
    }

    /// GPTQ's H for an int4 tensor under `Int4Method.gptq`, checked against its shape.
    private func gptqMoments(_ entry: BundleTensorEntry) throws -> [Double]? {
        guard plan.int4Method == .gptq, case .int4 = entry.scheme, let h = secondMoments?(entry.name) else { return nil }
        guard h.count == entry.columns * entry.columns else {
            throw FormatError(entry.name, "the calibration's second moments are \(h.count) values but the weight has \(entry.columns) columns")
        }
        return h
    }

    /// The importance of an int4 tensor's input columns under `Int4Method.importance` (nil: the
    /// tensor is weighted by w², as `search` does — e.g. a vision linear no calibration image reached).
    private func columnImportance(_ entry: BundleTensorEntry) throws -> [Float]? {
        guard plan.int4Method.needsCalibration, case .int4 = entry.scheme, let weights = importance?(entry.name) else { return nil }
        guard weights.count == entry.columns else {
            throw FormatError(entry.name, "the importance has \(weights.count) columns but the weight has \(entry.columns) (importance from another model?)")
        }
        guard weights.allSatisfy({ $0.isFinite && $0 >= 0 }) else { throw FormatError(entry.name, "the importance has negative or non-finite values") }
        return weights
    }

    /// Streams an int8/int4 tensor (rows decoded straight from the mapped source when it is a
    /// plain f32/f16/bf16 tensor in stored row order), then applies `checkQuantizable`'s checks
    /// to what the quantizer saw — exactly, on the values, when they may not be finite.
    private func produceStreamed(_ tensor: GraphTensor, entry: BundleTensorEntry, stream: QuantizedTensorStream,
                                 out: AtomicFileWriter, hash: inout SHA256) throws {
        let rows: QuantizedTensorStream.Rows
        let count: Int
        if case .source(let source, let name) = tensor.value, tensor.rowOrder == nil, case let data = try source.tensorData(named: name),
           case .dense(let dtype) = data.descriptor.encoding, [.f32, .f16, .bf16].contains(dtype) {
            rows = .encoded(data, dtype)
            count = data.descriptor.elementCount
        } else {
            let values = try tensor.floats()
            rows = .values(values)
            count = values.count
        }
        guard count == entry.rows * entry.columns else {
            throw FormatError(tensor.name, "has \(count) values, shape \(tensor.shape) needs \(entry.rows * entry.columns)")
        }
        let stats = try stream.write(rows) { part, bytes in
            switch part {
            case .data: if out.bytesWritten < entry.data.offset { try pad(out, to: entry.data.offset) }
            case .scales: if let s = entry.scales { try pad(out, to: s.offset) }
            case .zeros: if let z = entry.zeros { try pad(out, to: z.offset) }
            }
            try out.write(bytes)
            hash.update(bytes)
        }
        tensor.releaseSourcePages()
        if stats.mayBeNonFinite {
            try checkQuantizable(try tensor.floats(), tensor: tensor.name, scheme: entry.scheme)
        } else if case .int4(_, let asymmetric) = entry.scheme {
            let limit: Float = asymmetric ? 15 * 65504 : 7 * 65504
            if (asymmetric ? stats.maximum - stats.minimum : stats.maxMagnitude) > limit {
                throw FormatError(tensor.name, "values reach \(stats.maxMagnitude): too large for \(entry.scheme.name)'s f16 scales (use int8 or f16)")
            }
        }
    }

    /// Refuses values the pinned formulas cannot represent: non-finite weights, and int4 groups whose
    /// f16 scale would overflow (max |w| > 7·65504, or a range > 15·65504 with a zero point).
    private func checkQuantizable(_ values: [Float], tensor: String, scheme: QuantScheme) throws {
        var lo = Float.infinity, hi = -Float.infinity
        for v in values {
            guard v.isFinite else { throw FormatError(tensor, "has non-finite values; cannot quantize to \(scheme.name)") }
            lo = min(lo, v); hi = max(hi, v)
        }
        if case .int4(_, let asymmetric) = scheme {
            let limit: Float = asymmetric ? 15 * 65504 : 7 * 65504
            if (asymmetric ? hi - lo : max(abs(lo), abs(hi))) > limit {
                throw FormatError(tensor, "values reach \(max(abs(lo), abs(hi))): too large for \(scheme.name)'s f16 scales (use int8 or f16)")
            }
        }
    }

    private func pad(_ out: AtomicFileWriter, to offset: Int) throws {
        precondition(out.bytesWritten <= offset, "bundle sections out of order")
        try out.writeZeros(offset - out.bytesWritten)
    }

    private func align(_ n: Int) -> Int { (n + BundleHeader.alignment - 1) / BundleHeader.alignment * BundleHeader.alignment }

    /// The manifest with every section moved from data-relative to absolute offsets.
    private static func shifted(_ m: BundleManifest, by base: Int) -> BundleManifest {
        var m = m
        func move(_ s: BundleSection) -> BundleSection { BundleSection(offset: s.offset + base, length: s.length) }
        m.files = m.files.map { var f = $0; f.section = move(f.section); return f }
        m.tensors = m.tensors.map { t in
            var t = t
            t.data = move(t.data); t.scales = t.scales.map(move); t.zeros = t.zeros.map(move)
            return t
        }
        return m
    }
}
