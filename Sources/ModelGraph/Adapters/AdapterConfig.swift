import TensorFormats

/// The fields of a PEFT `adapter_config.json` that decide how an adapter merges.
public struct AdapterConfig: Sendable {
    public var rank: Int
    public var alpha: Double
    /// `target_modules` as a list (suffix match) or a regex (full match).
    public var targets: Targets
    public var useRSLoRA: Bool
    public var useDoRA: Bool
    public var fanInFanOut: Bool
    public var rankPattern: [(String, Int)]
    public var alphaPattern: [(String, Double)]
    public var modulesToSave: [String]
    public var layersToTransform: [Int]?
    public var loraBias: Bool
    /// `rank_pattern`/`alpha_pattern` keys compiled as PEFT matches them (`(.*\.)?(key)`), in order.
    private var rankMatchers: [LinearRegex] = []
    private var alphaMatchers: [LinearRegex] = []
    /// `target_modules` as a regex (full match), when it is one.
    public private(set) var targetMatcher: LinearRegex?

    public enum Targets: Sendable {
        case list([String])
        case regex(String)
        case none
    }

    /// Parses and refuses options whose merge we do not implement, with a message naming the option.
    public init(json: JSONValue, file: String) throws {
        let r = ConfigReader(json: json, file: file)
        if let type = json["peft_type"]?.stringValue, type != "LORA" {
            throw FormatError(file, "unsupported peft_type '\(type)': only LORA adapters (LoRA, rsLoRA, DoRA) merge")
        }
        rank = try r.int("r", default: 8)
        alpha = try r.double("lora_alpha", default: 8)
        guard rank > 0 else { throw FormatError(file, "r must be positive, got \(rank)") }
        switch json["target_modules"] {
        case .string(let s)?: targets = s == "all-linear" ? .list(["all-linear"]) : .regex(s)
        case .array(let a)?: targets = .list(a.compactMap { $0.stringValue })
        default: targets = .none
        }
        useRSLoRA = json["use_rslora"]?.boolValue ?? false
        useDoRA = json["use_dora"]?.boolValue ?? false
        fanInFanOut = json["fan_in_fan_out"]?.boolValue ?? false
        loraBias = json["lora_bias"]?.boolValue ?? false
        rankPattern = try (json["rank_pattern"]?.objectValue ?? []).map { k, v in
            guard let i = v.intValue else { throw FormatError(file, "rank_pattern['\(k)'] is not an integer") }
            return (k, i)
        }
        alphaPattern = try (json["alpha_pattern"]?.objectValue ?? []).map { k, v in
            guard let d = v.doubleValue else { throw FormatError(file, "alpha_pattern['\(k)'] is not a number") }
            return (k, d)
        }
        for (key, r) in rankPattern where r <= 0 {
            throw FormatError(file, "rank_pattern['\(key)'] must be positive")
        }
        // Patterns run on a linear-time matcher (never a backtracking one), compiled here so that a
        // pattern it cannot run is refused up front with the adapter file named.
        func compile(_ pattern: String, _ field: String) throws -> LinearRegex {
            do { return try LinearRegex(pattern) } catch {
                throw FormatError(file, "\(field) pattern '\(pattern)' cannot be used: \(error.message)")
            }
        }
        rankMatchers = try rankPattern.map { try compile(AdapterConfig.modulePattern($0.0), "rank_pattern") }
        alphaMatchers = try alphaPattern.map { try compile(AdapterConfig.modulePattern($0.0), "alpha_pattern") }
        if case .regex(let s) = targets { targetMatcher = try compile(s, "target_modules") }
        modulesToSave = json["modules_to_save"]?.arrayValue?.compactMap { $0.stringValue } ?? []
        switch json["layers_to_transform"] {
        case .int(let i)?: layersToTransform = [i]
        case .array(let a)?: layersToTransform = a.compactMap { $0.intValue }
        default: layersToTransform = nil
        }
        if let v = json["layer_replication"], v != .null { throw FormatError(file, "unsupported option layer_replication") }
        if let v = json["target_parameters"], v != .null, v.arrayValue?.isEmpty == false {
            throw FormatError(file, "unsupported option target_parameters (LoRA on raw parameters)")
        }
        if let v = json["trainable_token_indices"], v != .null { throw FormatError(file, "unsupported option trainable_token_indices") }
        if let initMethod = json["init_lora_weights"]?.stringValue,
           ["pissa", "olora", "corda", "eva", "loftq"].contains(where: { initMethod.lowercased().hasPrefix($0) }) {
            throw FormatError(file, "unsupported init_lora_weights '\(initMethod)': such an adapter applies to a residual base, not the checkpoint; convert it to plain LoRA with PEFT first")
        }
        if useDoRA && loraBias { throw FormatError(file, "unsupported combination use_dora + lora_bias") }
        if useDoRA && fanInFanOut { throw FormatError(file, "unsupported combination use_dora + fan_in_fan_out") }
    }

    /// (rank, alpha) for a module, after `rank_pattern`/`alpha_pattern` (first key matching
    /// `(.*\.)?(key)$` against the module name wins, as PEFT does).
    public func rankAndAlpha(module: String) -> (Int, Double) {
        let r = rankMatchers.firstIndex { $0.wholeMatch(module) }.map { rankPattern[$0].1 } ?? rank
        let a = alphaMatchers.firstIndex { $0.wholeMatch(module) }.map { alphaPattern[$0].1 } ?? alpha
        return (r, a)
    }

    /// s = α/r, or α/√r with rsLoRA.
    public func scale(module: String) -> Float {
        let (r, a) = rankAndAlpha(module: module)
        return Float(useRSLoRA ? a / Double(r).squareRoot() : a / Double(r))
    }

    /// The full-match pattern PEFT builds from a `rank_pattern`/`alpha_pattern` key.
    static func modulePattern(_ key: String) -> String { "(.*\\.)?(\(key))" }

    /// Whether `key` matches `module` as PEFT matches pattern keys (false for a pattern the
    /// linear-time matcher refuses).
    static func patternMatches(_ key: String, _ module: String) -> Bool {
        (try? LinearRegex(modulePattern(key)))?.wholeMatch(module) ?? false
    }
}
