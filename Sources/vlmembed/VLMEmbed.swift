import ArgumentParser

/// The `vlmembed` command: reads VLM checkpoints, writes verified embedding bundles, embeds, serves.
@main
struct VLMEmbed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vlmembed",
        abstract: "Multimodal embedding models (VLM2Vec-style) on the CPU: inspect, convert, embed, verify, serve.",
        version: "0.4.0",
        subcommands: [Inspect.self, Export.self, Tokenize.self, Preprocess.self, Embed.self, Convert.self, Verify.self, Eval.self,
                      Serve.self, Demo.self]
    )
}
