import Foundation
import ModelGraph
import Models
import Preprocessing

/// The tiny GGUF twins of the reference models in Fixtures/gguf_twins (made by llama.cpp's own
/// converters through Tools/make_gguf_twins.py, committed xz-compressed), unpacked once per test
/// process into a temporary folder.
enum GGUFTwins {
    static let folder = ReferenceCase.repoRoot + "/Fixtures/gguf_twins"

    static let unpacked: Swift.Result<String, any Error> = Swift.Result {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vlmembed-gguf-twins-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) where name.hasSuffix(".gguf.xz") {
            let out = dir + "/" + String(name.dropLast(3))
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["xz", "-dc", folder + "/" + name]
            _ = FileManager.default.createFile(atPath: out, contents: nil)
            p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
            try p.run()
            p.waitUntilExit()
            guard p.terminationStatus == 0 else { throw ModelError("xz -dc \(name) failed with status \(p.terminationStatus)") }
        }
        return dir
    }

    /// The path of an unpacked twin, e.g. `phi3_v-text-f16.gguf`.
    static func path(_ name: String) throws -> String { try unpacked.get() + "/" + name }

    /// A pipeline over a twin (and its mmproj).
    static func pipeline(_ name: String, mmproj: String? = nil) throws -> EmbeddingPipeline {
        let (graph, _) = try ModelGraph.loadEmbeddingGraph(source: try path(name), adapter: nil, mmproj: try mmproj.map { try path($0) })
        return try EmbeddingPipeline(graph: graph)
    }
}
