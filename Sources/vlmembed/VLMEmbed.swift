import ArgumentParser

/// The `vlmembed` command: reads VLM checkpoints, writes verified embedding bundles, embeds.
@main
struct VLMEmbed: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vlmembed",
        abstract: "Multimodal embedding models (VLM2Vec-style) on the CPU: inspect, convert, embed, verify.",
        version: "0.3.0",
        subcommands: [Inspect.self, Export.self, Tokenize.self, Preprocess.self, Embed.self, Convert.self, Verify.self, Eval.self, Demo.self]
    )
}
