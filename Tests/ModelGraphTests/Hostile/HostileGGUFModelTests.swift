import Foundation
import Testing
import ModelGraph
import TensorFormats

/// GGUF keys near 2³¹ or 2⁶³ are refused before any binding is sized by them, and an mmproj's own
/// problems name the mmproj file, not the text model.
@Suite struct HostileGGUFModelTests {
    static func write(_ name: String, _ metadata: [(key: String, value: GGUFValue)]) throws -> String {
        let dir = NSTemporaryDirectory() + "vlmembed-hostile-gguf-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/" + name
        let w = try GGUFWriter(path: path, metadata: metadata, tensors: [])
        try w.finish()
        return path
    }

    static func llama(blocks: UInt64 = 2, feedForward: UInt64 = 128) -> [(key: String, value: GGUFValue)] {
        [("general.architecture", .string("llama")), ("llama.embedding_length", .uint32(64)), ("llama.attention.head_count", .uint32(4)),
         ("llama.feed_forward_length", .uint64(feedForward)), ("llama.block_count", .uint64(blocks)), ("llama.context_length", .uint32(512)),
         ("llama.vocab_size", .uint32(100))]
    }

    static func clip(blocks: UInt64 = 2, heads: UInt32 = 4) -> [(key: String, value: GGUFValue)] {
        [("general.architecture", .string("clip")), ("clip.vision.block_count", .uint64(blocks)), ("clip.vision.embedding_length", .uint32(64)),
         ("clip.vision.feed_forward_length", .uint32(128)), ("clip.vision.attention.head_count", .uint32(heads)),
         ("clip.vision.patch_size", .uint32(14)), ("clip.vision.image_size", .uint32(336)),
         ("clip.vision.image_grid_pinpoints", .array(elementType: .int32, values: [.int32(336), .int32(672)])),
         ("clip.vision.image_mean", .array(elementType: .float32, values: [.float32(0.5), .float32(0.5), .float32(0.5)])),
         ("clip.vision.image_std", .array(elementType: .float32, values: [.float32(0.5), .float32(0.5), .float32(0.5)]))]
    }

    static func error(_ body: () throws -> Any) -> String {
        do { _ = try body(); return "loaded" } catch { return "\(error)" }
    }

    @Test func blockCountOfTwoToThe31IsRefused() throws {
        let p = try Self.write("blocks.gguf", Self.llama(blocks: 1 << 31))
        #expect(Self.error { try ModelGraph.load(gguf: p) } == "\(p): num_hidden_layers 2147483648 is outside 1…1024 (the layer limit)")
    }

    @Test func feedForwardNearTwoToThe63IsRefused() throws {
        let p = try Self.write("ffn.gguf", Self.llama(feedForward: UInt64(Int.max)))
        #expect(Self.error { try ModelGraph.load(gguf: p) } == "\(p): intermediate_size 9223372036854775807 is outside 1…1048576 (the width limit)")
    }

    @Test func badMmprojIsNamedNotTheTextModel() throws {
        let text = try Self.write("text.gguf", Self.llama())
        let layers = try Self.write("mmproj-layers.gguf", Self.clip(blocks: 1 << 31))
        #expect(Self.error { try ModelGraph.load(gguf: text, mmproj: layers) } == "\(layers): vision num_hidden_layers 2147483648 is outside 1…1024 (the layer limit)")
        let heads = try Self.write("mmproj-heads.gguf", Self.clip(heads: 0))
        #expect(Self.error { try ModelGraph.load(gguf: text, mmproj: heads) }.hasPrefix(heads + ": "))
        var pins = Self.clip()
        pins[7] = ("clip.vision.image_grid_pinpoints", .array(elementType: .int32, values: [.int32(336 * 100), .int32(336 * 100)]))
        let pinned = try Self.write("mmproj-pins.gguf", pins)
        #expect(Self.error { try ModelGraph.load(gguf: text, mmproj: pinned) }.hasPrefix(pinned + ": image_grid_pinpoints entry [33600, 33600]"))
    }
}
