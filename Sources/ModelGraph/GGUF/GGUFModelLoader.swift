import TensorFormats

extension ModelGraph {
    /// Loads a llama.cpp model: a text GGUF alone (`llama` → text-only `llama`, `phi3` → text-only
    /// `phi3`), or a `llama` text GGUF with a LLaVA-1.6 `clip` mmproj (→ `llava_next`). The
    /// hyperparameters are rewritten as the Hugging Face `config.json` (and
    /// `preprocessor_config.json`) they came from, so bundles written from a GGUF describe
    /// themselves like any other; the tokenizer is the GGUF vocabulary (served as
    /// `tokenizer.gguf`). Tensors are bound in place, ggml blocks included; llama Q/K rows are
    /// put back in Hugging Face order through a row-order view. Reads headers only.
    public static func load(gguf path: String, mmproj: String? = nil) throws -> ModelGraph {
        let text = try GGUFFile(path: path)
        let arch = text.architecture ?? "(none)"
        if arch == "clip" {
            throw FormatError(path, "is a clip mmproj file: pass the language model GGUF as the model and this file with --mmproj")
        }
        guard arch == "llama" || arch == "phi3" else {
            throw FormatError(path, "unsupported GGUF architecture '\(arch)'; supported: \(GGUFDecoderNames.supported.joined(separator: ", ")), with clip mmproj files for llama (--mmproj)")
        }
        let textConfig = try GGUFDecoderNames.config(text, architecture: arch)
        var configJSON = textConfig
        var preprocessor: JSONValue?
        var clip: GGUFFile?
        var addedTokens: [String] = []
        if let mmproj {
            guard arch == "llama" else {
                throw FormatError(mmproj, "an mmproj pairs only with a llama-architecture text GGUF (LLaVA-1.6); \(path) is \(arch) (Phi-3-V has no llama.cpp vision tower)")
            }
            let file = try GGUFFile(path: mmproj)
            let m = try GGUFClipNames.open(file)
            let hidden = textConfig["hidden_size"]?.intValue ?? 0
            if let width = file.descriptor(named: "mm.2.weight")?.shape.first, width != hidden {
                throw FormatError(mmproj, "projects image features to width \(width), but the text model \(path) has hidden size \(hidden): not its mmproj")
            }
            let parts = try GGUFClipNames.llavaConfig(m)
            try GGUFClipNames.validate(parts, file: mmproj)
            // LLaVA-1.6 GGUFs converted from the original checkpoints have no <image> token: it is
            // added after the vocabulary, where only image features ever fill its slots.
            let tokens = text.stringArray("tokenizer.ggml.tokens") ?? []
            let imageToken = tokens.firstIndex(of: "<image>") ?? tokens.count
            if imageToken == tokens.count { addedTokens = ["<image>"] }
            configJSON = .object([
                ("architectures", .array([.string("LlavaNextForConditionalGeneration")])), ("model_type", .string("llava_next")),
                ("text_config", textConfig), ("vision_config", parts.vision), ("vision_feature_layer", .int(parts.featureLayer)),
                ("vision_feature_select_strategy", .string("default")), ("projector_hidden_act", .string("gelu")),
                ("image_token_index", .int(imageToken)), ("image_grid_pinpoints", parts.pinpoints),
            ])
            preprocessor = parts.preprocessor
            clip = file
        }
        let adapter = try Architectures.adapter(for: configJSON, file: path)
        let config = try adapter.parseConfig(configJSON, file: path, preprocessor: preprocessor)
        var bindings = GGUFDecoderNames.bindings(text, architecture: arch, config: config.decoder)
        if let clip, let vision = config.vision {
            bindings.merge(GGUFClipNames.bindings(clip, vision: vision)) { a, _ in a }
        }
        var bound: [GraphTensor] = []
        var used = Set<String>()
        func bind(_ name: String, _ shape: [Int], required: Bool) throws {
            guard let b = bindings[name], let d = b.source.descriptor(named: b.name) else {
                if required { throw FormatError(path, "missing tensor for '\(name)' (required by \(config.kind.rawValue)): expected \(bindings[name]?.name ?? "?") in \(bindings[name]?.source.path ?? path)") }
                return
            }
            guard d.shape == shape else {
                throw FormatError(b.source.path, "tensor '\(b.name)' has shape \(d.shape), expected \(shape) for \(name)")
            }
            if let order = b.rowOrder, order.count != shape.first {
                throw FormatError(b.source.path, "tensor '\(b.name)' rows do not split into heads")
            }
            bound.append(GraphTensor(name: name, shape: shape, value: .source(b.source, b.name), rowOrder: b.rowOrder))
            used.insert(b.source.path + "\u{0}" + b.name)
        }
        for (name, shape) in adapter.requiredTensors(config) { try bind(name, shape, required: true) }
        for (name, shape) in adapter.optionalTensors(config) { try bind(name, shape, required: false) }
        var ignored: [String] = []
        for file in [text] + (clip.map { [$0] } ?? []) {
            for d in file.tensors where !used.contains(file.path + "\u{0}" + d.name) && !GGUFDecoderNames.consumed.contains(d.name) {
                ignored.append(d.name)
            }
        }
        let files = GGUFModelFiles(origin: path, text: text, config: configJSON, preprocessor: preprocessor, addedTokens: addedTokens).files
        return ModelGraph(config: config, tensors: bound, ignoredSourceTensors: ignored, sourcePath: path, files: files)
    }
}

/// The non-weight files of a GGUF model: the synthesized `config.json` and
/// `preprocessor_config.json`, and `tokenizer.gguf` (the vocabulary keys alone).
struct GGUFModelFiles {
    let origin: String
    let text: GGUFFile
    let config: JSONValue
    let preprocessor: JSONValue?
    /// Control tokens appended to the vocabulary (the `<image>` marker when it lacks one).
    let addedTokens: [String]

    var files: ModelFiles {
        let text = self.text, config = self.config, preprocessor = self.preprocessor, added = self.addedTokens
        return ModelFiles(origin: origin) { name in
            switch name {
            case "config.json": return Array(config.serialized().utf8)
            case "preprocessor_config.json": return preprocessor.map { Array($0.serialized().utf8) }
            case "tokenizer.gguf": return try text.vocabularyOnlyBytes(appendingControlTokens: added)
            default: return nil
            }
        }
    }
}
