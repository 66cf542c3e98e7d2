import Foundation
import Models
import Runtime
import Testing
import TensorFormats

/// `ImportanceCalibration` on the tiny phi3_v: every decoder and vision linear gets statistics
/// equal to a direct computation over what the layer saw, they survive a save/load round trip
/// bit for bit, and bad files are one-line errors naming the file.
@Suite struct ImportanceCalibrationTests {
    static let calibration = RuntimeFixtures.fixtures + "/calibration/requests.jsonl"

    @Test func statisticsCoverEveryLinearAndRoundTrip() throws {
        let requests = Array(try RequestFile.read(Self.calibration).prefix(3)) + [try RequestFile.read(Self.calibration)[45]]
        var skipped = 0
        let stats = try ImportanceCalibration.run(ModelSpec(path: RuntimeFixtures.phi3V), requests: requests, file: Self.calibration,
                                                  secondMoments: true, skipped: &skipped)
        #expect(skipped == 0)
        #expect(stats.names.contains("decoder.layers.0.self_attn.qkv_proj.weight"))
        #expect(stats.names.contains("decoder.layers.1.mlp.down_proj.weight"))
        #expect(stats.names.contains { $0.hasPrefix("vision.encoder.layers.0.") }, "the image request reached the CLIP tower")
        #expect(stats.names.contains("projector.linear_1.weight"))
        for name in stats.names {
            let means = try #require(stats.importance(name))
            let h = try #require(stats.secondMoments(name))
            #expect(h.count == means.count * means.count)
            // diag E[xᵀx] is the mean x².
            for c in means.indices { #expect(abs(Double(means[c]) - h[c * means.count + c]) <= 1e-6 * max(1, h[c * means.count + c]), "\(name) column \(c)") }
            #expect(means.allSatisfy { $0.isFinite && $0 >= 0 })
        }
        let dir = NSTemporaryDirectory() + "importance-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/i.safetensors"
        try ImportanceCalibration.save(stats, to: file)
        let loaded = try ImportanceCalibration.load(file)
        #expect(loaded.names == stats.names)
        for name in stats.names {
            #expect(loaded.importance(name) == stats.importance(name), "\(name)")
            #expect(loaded.rows(name) == stats.rows(name))
        }
    }

    @Test func badImportanceFilesAreRefusedByName() throws {
        let dir = NSTemporaryDirectory() + "importance-bad-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let plain = dir + "/plain.safetensors", negative = dir + "/negative.safetensors", noRows = dir + "/norows.safetensors"
        let d = TensorDescriptor(name: "w.weight", shape: [2], encoding: .dense(.f32))
        try SafetensorsWriter.write(to: plain, tensors: [(d, DenseCodec.encode([1, 2], as: .f32))])
        try SafetensorsWriter.write(to: negative, tensors: [(d, DenseCodec.encode([1, -2], as: .f32))],
                                    metadata: ["format": "vlmembed-importance", "rows.w.weight": "3"])
        try SafetensorsWriter.write(to: noRows, tensors: [(d, DenseCodec.encode([1, 2], as: .f32))], metadata: ["format": "vlmembed-importance"])
        for (path, needle) in [(plain, "not an importance file"), (negative, "negative or non-finite"), (noRows, "rows.w.weight")] {
            let error = try #require(throws: FormatError.self) { try ImportanceCalibration.load(path) }
            #expect("\(error)".contains(path) && "\(error)".contains(needle), "\(error)")
            #expect(!"\(error)".contains("\n"))
        }
    }
}
