import ArgumentParser
import Kernels
import Runtime

/// The options every command that runs a model shares: which model, and how to run it.
struct ModelOptions: ParsableArguments {
    @Option(help: "Model: a Hugging Face folder (config.json + safetensors), a GGUF (text; add --mmproj for images) or a .vlmb bundle.")
    var model: String

    @Option(help: "A PEFT LoRA/DoRA adapter folder to merge at load (adapter_config.json + adapter_model.safetensors or .bin).")
    var adapter: String?

    @Option(help: "With a GGUF model: its LLaVA-1.6 clip mmproj GGUF (vision tower + projector), for images.")
    var mmproj: String?

    @Option(help: "Threads (default: all cores).")
    var threads: Int?

    @Option(help: "Phi-3-V HD crops per image (overrides preprocessor_config.json's num_crops; Phi-3.5-V suggests 16 for single images).")
    var crops: Int?

    var spec: ModelSpec { ModelSpec(path: model, adapter: adapter, mmproj: mmproj) }

    var engineOptions: EngineOptions { EngineOptions(numCrops: crops) }

    /// Applies `--threads` and opens the model.
    func open() throws -> EmbeddingEngine {
        CLI.applyThreads(threads)
        return try EmbeddingEngine.open(spec, options: engineOptions)
    }
}
