import Foundation
import Testing
import ModelGraph
import TensorFormats

/// Hyperparameters that parse as integers but would size lists, row orders or buffers past any
/// real model: refused with one line naming the file, the field and the value — from config.json
/// and preprocessor_config.json, and from GGUF keys (text model and mmproj, each named).
@Suite struct HostileConfigTests {
    static let models = ModelGraphLoadingTests.root

    static func json(_ path: String) throws -> JSONValue { try JSONParser.parse(contentsOf: path) }

    /// `json` with the value at `path` (object keys) replaced or added.
    static func setting(_ json: JSONValue, _ path: [String], _ value: JSONValue) -> JSONValue {
        guard let key = path.first, case .object(var pairs) = json else { return value }
        let inner = pairs.first { $0.0 == key }?.1 ?? .object([])
        let new = setting(inner, Array(path.dropFirst()), value)
        if let i = pairs.firstIndex(where: { $0.0 == key }) { pairs[i].1 = new } else { pairs.append((key, new)) }
        return .object(pairs)
    }

    static func phi3V(_ path: [String], _ value: JSONValue, preprocessor: JSONValue? = nil) throws -> String {
        let base = try json(models + "/phi3_v/config.json")
        let config = path.isEmpty ? base : setting(base, path, value)
        let pre = try preprocessor ?? json(models + "/phi3_v/preprocessor_config.json")
        do { _ = try Phi3VArchitecture.parseConfig(config, file: "config.json", preprocessor: pre); return "parsed" } catch { return "\(error)" }
    }

    static func llava(_ path: [String], _ value: JSONValue) throws -> String {
        let config = setting(try json(models + "/llava_next/config.json"), path, value)
        do { _ = try LlavaNextArchitecture.parseConfig(config, file: "config.json", preprocessor: nil); return "parsed" } catch { return "\(error)" }
    }

    @Test func fixturesParse() throws {
        #expect(try Self.phi3V(["num_hidden_layers"], .int(3)) == "parsed")
        #expect(try Self.llava(["vision_feature_layer"], .int(-2)) == "parsed")
    }

    @Test func decoderSizesNearTwoToThe63() throws {
        #expect(try Self.phi3V(["intermediate_size"], .int(Int.max - 7)) == "config.json: intermediate_size 9223372036854775800 is outside 1…1048576 (the width limit)")
        #expect(try Self.phi3V(["num_hidden_layers"], .int(1 << 31)) == "config.json: num_hidden_layers 2147483648 is outside 1…1024 (the layer limit)")
        #expect(try Self.llava(["text_config", "intermediate_size"], .int(1 << 62)) == "config.json:text_config: intermediate_size 4611686018427387904 is outside 1…1048576 (the width limit)")
        #expect(try Self.llava(["text_config", "num_hidden_layers"], .int(1 << 31)).contains("num_hidden_layers 2147483648 is outside 1…1024"))
    }

    @Test func visionLayerCountsAreBounded() throws {
        #expect(try Self.llava(["vision_config", "num_hidden_layers"], .int(1 << 31)) == "config.json:vision_config: vision num_hidden_layers 2147483648 is outside 1…1024 (the layer limit)")
        #expect(try Self.llava(["vision_config", "num_hidden_layers"], .int(Int.max)).contains("vision num_hidden_layers 9223372036854775807 is outside"))
        #expect(try Self.phi3V(["vision_config"], .object([("num_hidden_layers", .int(1 << 40))])).contains("vision num_hidden_layers 1099511627776 is outside 1…1024"))
    }

    @Test func hugePinpointsAreRefused() throws {
        let huge: JSONValue = .array([.array([.int(1 << 40), .int(1 << 40)])])
        #expect(try Self.llava(["image_grid_pinpoints"], huge) == "config.json: image_grid_pinpoints entry [1099511627776, 1099511627776] must be multiples of 336 with at most 64 tiles of 336²")
        let many: JSONValue = .array(Array(repeating: .array([.int(336), .int(336)]), count: 65))
        #expect(try Self.llava(["image_grid_pinpoints"], many) == "config.json: image_grid_pinpoints has 65 entries, above the limit of 64")
    }

    @Test func preprocessorNumbersAreChecked() throws {
        let pre = try Self.json(Self.models + "/phi3_v/preprocessor_config.json")
        #expect(try Self.phi3V([], .null, preprocessor: Self.setting(pre, ["num_crops"], .int(1_000_000))) == "preprocessor_config.json: num_crops 1000000 is outside 1…64 (the crop limit)")
        #expect(try Self.phi3V([], .null, preprocessor: Self.setting(pre, ["image_mean"], .array([.double(0.5), .double(0.5)])))
                == "preprocessor_config.json: image_mean has 2 values and image_std 3, expected 3 each (RGB)")
        #expect(try Self.phi3V([], .null, preprocessor: Self.setting(pre, ["image_std"], .array([]))).contains("image_std 0, expected 3 each"))
    }
}
