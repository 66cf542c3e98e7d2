import Foundation
import TensorFormats

/// A Phi-3-V checkpoint shaped like the tiny fixture but with a 400,000-wide MLP (≈ 460 MB of
/// bf16), so that converting it takes long enough to be interrupted. Vision tower, projector,
/// tokenizer and configs come from the tiny model; the MLP weights are pseudo-random.
enum LargeCheckpoint {
    static let intermediate = 400_000

    static func write(to dir: String) throws {
        let tiny = CLIRunner.fixtures + "/models/phi3_v"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for f in try FileManager.default.contentsOfDirectory(atPath: tiny) where !f.hasSuffix(".safetensors") && !f.hasSuffix(".index.json") {
            try FileManager.default.copyItem(atPath: tiny + "/" + f, toPath: dir + "/" + f)
        }
        var config = try String(contentsOfFile: tiny + "/config.json", encoding: .utf8)
        // The first "intermediate_size" is the decoder's (the vision config's comes later).
        guard let r = config.range(of: "\"intermediate_size\": 128,") else { throw FormatError(tiny + "/config.json", "unexpected layout: cannot set intermediate_size") }
        config.replaceSubrange(r, with: "\"intermediate_size\": \(intermediate),")
        try config.write(toFile: dir + "/config.json", atomically: true, encoding: .utf8)

        let source = try CheckpointOpener.open(tiny)
        var descriptors: [TensorDescriptor] = []
        for d in source.tensors {
            var shape = d.shape
            if d.name.hasSuffix("mlp.gate_up_proj.weight") && d.name.hasPrefix("model.layers.") { shape = [2 * intermediate, shape[1]] }
            if d.name.hasSuffix("mlp.down_proj.weight") && d.name.hasPrefix("model.layers.") { shape = [shape[0], intermediate] }
            descriptors.append(TensorDescriptor(name: d.name, shape: shape, encoding: d.encoding))
        }
        var state: UInt32 = 0x1234_5678
        try SafetensorsWriter.write(to: dir + "/model.safetensors", tensors: descriptors) { d, out in
            guard let original = source.descriptor(named: d.name), original.shape != d.shape else {
                try out.write(try source.tensorData(named: d.name).bytes)
                return
            }
            let chunk = 1 << 20
            var buffer = [UInt16](repeating: 0, count: chunk)
            var left = d.elementCount
            while left > 0 {
                let n = min(chunk, left)
                for i in 0..<n {
                    state = state &* 1_664_525 &+ 1_013_904_223
                    // bf16 of a value in about ±0.05: sign, exponent 0x7A, random mantissa.
                    buffer[i] = UInt16(state >> 31) << 15 | 0x3D00 | UInt16((state >> 9) & 0x7F)
                }
                try buffer.withUnsafeBytes { try out.write(UnsafeRawBufferPointer(rebasing: $0[0..<(2 * n)])) }
                left -= n
            }
        }
    }
}
