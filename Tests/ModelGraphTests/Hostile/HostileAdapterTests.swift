import Foundation
import Testing
@testable import ModelGraph
import TensorFormats

/// Adapter regexes run on a linear-time matcher: catastrophic-backtracking patterns finish at
/// once, patterns it cannot run are refused naming the adapter file; a missing `lora_B` is
/// reported as missing.
@Suite struct HostileAdapterTests {
    static func config(_ extra: String) throws -> AdapterConfig {
        try AdapterConfig(json: try JSONParser.parse("{\"r\": 8, \"lora_alpha\": 16\(extra)}"), file: "adapter/adapter_config.json")
    }

    @Test func catastrophicBacktrackingPatternRunsInLinearTime() throws {
        let c = try Self.config(", \"rank_pattern\": {\"(.*)*Z\": 4, \"(a+)+$\": 2}, \"alpha_pattern\": {\"((.*)*)*q\": 3}")
        let module = "base_model.model." + String(repeating: "a", count: 5000) + ".layers.0.self_attn.qkv_proj"
        let clock = ContinuousClock()
        let started = clock.now
        #expect(c.rankAndAlpha(module: module) == (8, 16))
        #expect(c.rankAndAlpha(module: "model.x.aaaa") == (2, 16))
        #expect(c.rankAndAlpha(module: "model.layers.Z") == (4, 16))
        #expect(clock.now - started < .seconds(2))
    }

    @Test func patternsMatchAsPEFTDoes() throws {
        let c = try Self.config(", \"rank_pattern\": {\"layers\\\\.[0-3]\\\\.mlp\\\\.down_proj\": 4, \"q_proj\": 2}")
        #expect(c.rankAndAlpha(module: "model.layers.2.mlp.down_proj").0 == 4)
        #expect(c.rankAndAlpha(module: "model.layers.7.mlp.down_proj").0 == 8)
        #expect(c.rankAndAlpha(module: "model.layers.7.self_attn.q_proj").0 == 2)
        #expect(c.rankAndAlpha(module: "model.layers.7.self_attn.xq_proj").0 == 8)
    }

    @Test(arguments: [
        ("\"rank_pattern\": {\"(a)\\\\1\": 4}", "rank_pattern pattern '(.*\\.)?((a)\\1)' cannot be used: backreference \\1 is not supported"),
        ("\"alpha_pattern\": {\"(?=x)y\": 4}", "alpha_pattern pattern '(.*\\.)?((?=x)y)' cannot be used: group extension (?…) is not supported"),
        ("\"target_modules\": \"(q|v\"", "target_modules pattern '(q|v' cannot be used: missing ')'"),
        ("\"target_modules\": \"(a{1000}){1000}\"", "target_modules pattern '(a{1000}){1000}' cannot be used: pattern compiles to more than 20000 states"),
    ])
    func unusablePatternsNameTheAdapterFile(json: String, expected: String) throws {
        #expect { try Self.config(", " + json) } throws: { "\($0)".hasPrefix("adapter/adapter_config.json: " + expected) }
    }

    @Test func linearRegexBasics() throws {
        let re = try LinearRegex(".*\\.(q|k|v)_proj")
        #expect(re.wholeMatch("model.layers.0.self_attn.q_proj"))
        #expect(!re.wholeMatch("model.layers.0.self_attn.o_proj"))
        #expect(try LinearRegex("a{2,3}").wholeMatch("aaa") && !(try LinearRegex("a{2,3}").wholeMatch("aaaa")))
        #expect(try LinearRegex("[^0-9]+\\d").wholeMatch("layer7"))
        #expect(try LinearRegex("^ab$").wholeMatch("ab"))
        #expect(try LinearRegex("x{,2}").wholeMatch("xx"))
    }

    @Test func missingLoraBIsReportedAsMissing() throws {
        let dir = try AdapterMergeErrorTests.copyAdapter("phi3_v_adapter")
        try AdapterMergeErrorTests.rewrite(dir, rename: { $0.contains("layers.0.self_attn.qkv_proj.lora_B") ? nil : $0 })
        #expect { try LoRAAdapter(directory: dir) } throws: {
            "\($0)".hasSuffix("module 'model.layers.0.self_attn.qkv_proj' has no lora_B weight (lora_A is present)")
        }
        let dir2 = try AdapterMergeErrorTests.copyAdapter("phi3_v_adapter")
        try AdapterMergeErrorTests.rewrite(dir2, rename: { $0.contains("layers.0.self_attn.qkv_proj.lora_A") ? nil : $0 })
        #expect { try LoRAAdapter(directory: dir2) } throws: { "\($0)".hasSuffix("has no lora_A weight (lora_B is present)") }
    }
}
