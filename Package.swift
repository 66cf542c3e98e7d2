// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "vlmembed",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "vlmembed", targets: ["vlmembed"]),
        .library(name: "TensorFormats", targets: ["TensorFormats"]),
        .library(name: "Preprocessing", targets: ["Preprocessing"]),
        .library(name: "Kernels", targets: ["Kernels"]),
        .library(name: "ModelGraph", targets: ["ModelGraph"]),
        .library(name: "Models", targets: ["Models"]),
        .library(name: "Bundle", targets: ["Bundle"]),
        .library(name: "Runtime", targets: ["Runtime"]),
        .library(name: "Evaluation", targets: ["Evaluation"]),
        .library(name: "Server", targets: ["Server"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
    ],
    targets: [
        // Checkpoint formats: safetensors, GGUF, PyTorch zip checkpoints, dtype codecs.
        .target(name: "TensorFormats", dependencies: ["CSHA256"]),
        // SHA-256 block function: x86 SHA extensions chosen at run time by cpuid, portable C otherwise.
        .target(name: "CSHA256"),
        // Intrinsics kernels (int16 integer product on AVX2), selected at run time by Kernels.
        .target(name: "CKernels"),
        // fp32 GEMM (OpenBLAS, loaded at run time), quantized matmul, norms, activations, RoPE, attention, threading.
        .target(name: "Kernels", dependencies: ["CKernels"]),
        // The canonical model: configs, architecture name maps, weight bindings, graph passes.
        .target(name: "ModelGraph", dependencies: ["TensorFormats", "Kernels"]),
        // Forward passes: CLIP tower, the shared decoder, Phi-3-V and LLaVA-NeXT compositions, pooling.
        .target(name: "Models", dependencies: ["ModelGraph", "Kernels", "Preprocessing"]),
        // The .vlmb bundle: manifest, streaming atomic writer, mmap reader, checksums.
        .target(name: "Bundle", dependencies: ["TensorFormats", "ModelGraph", "Kernels"]),
        // The library facade: open any model (folder + adapter, GGUF + mmproj, bundle), embed inputs
        // (packing text-only ones), decode requests (JSON lines, the HTTP shapes), encode outputs.
        .target(name: "Runtime", dependencies: ["Models", "Bundle", "ModelGraph", "Preprocessing", "Kernels", "TensorFormats"]),
        // `vlmembed serve`: the OpenAI/vLLM-compatible HTTP API (Hummingbird), scheduling and packing, limits, auth, metrics.
        .target(name: "Server", dependencies: [
            "Runtime",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Parity against the reference (verify) and retrieval scoring (eval).
        .target(name: "Evaluation", dependencies: ["Runtime", "Models", "Bundle", "ModelGraph", "Preprocessing", "Kernels", "TensorFormats"]),
        // System libraries (Debian: libjpeg62-turbo-dev, libpng-dev).
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg62-turbo-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        // Tokenizers, image decoding and Pillow-exact resampling, the two processors, prompt assembly.
        .target(name: "Preprocessing", dependencies: ["TensorFormats", "CJPEG", "CPNG"]),
        // Speed benchmarks (not tests): run by Tools/bench/*.sh next to the upstream peers.
        .executableTarget(name: "PreprocessBench", dependencies: ["Preprocessing", "Kernels"], path: "Benchmarks/PreprocessBench"),
        .executableTarget(name: "BundleOpenBench", dependencies: ["Bundle", "ModelGraph"], path: "Benchmarks/BundleOpenBench"),
        // The fuzz targets' entry points (Fuzz/README.md), shared by the libFuzzer harness and the replay test.
        .target(name: "FuzzEntries", dependencies: ["TensorFormats", "Preprocessing", "ModelGraph", "Models", "Bundle", "Runtime", "Evaluation"],
                path: "Fuzz/Entries"),
        // The command line: thin, no logic of its own.
        .executableTarget(
            name: "vlmembed",
            dependencies: [
                "TensorFormats",
                "Preprocessing",
                "Kernels",
                "ModelGraph",
                "Models",
                "Bundle",
                "Runtime",
                "Server",
                "Evaluation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "TensorFormatsTests",
            dependencies: ["TensorFormats"]
        ),
        .testTarget(
            name: "PreprocessingTests",
            dependencies: ["Preprocessing", "TensorFormats"]
        ),
        .testTarget(
            name: "KernelsTests",
            dependencies: ["Kernels", "TensorFormats"]
        ),
        .testTarget(
            name: "ModelGraphTests",
            dependencies: ["ModelGraph", "Kernels", "TensorFormats"]
        ),
        .testTarget(
            name: "ModelsTests",
            dependencies: ["Models", "ModelGraph", "Kernels", "TensorFormats", "Bundle", "Runtime"]
        ),
        .testTarget(
            name: "BundleTests",
            dependencies: ["Bundle", "Runtime", "ModelGraph", "Models", "Kernels", "TensorFormats"]
        ),
        .testTarget(
            name: "ServerTests",
            dependencies: ["Server", "Runtime", "Bundle", "ModelGraph", "TensorFormats", .product(name: "HummingbirdTesting", package: "hummingbird")]
        ),
        .testTarget(
            name: "RuntimeTests",
            dependencies: ["Runtime", "Models", "Bundle", "ModelGraph", "Kernels", "TensorFormats", "Preprocessing"]
        ),
        .testTarget(
            name: "EvaluationTests",
            dependencies: ["Evaluation", "Runtime", "Bundle", "Models", "ModelGraph", "Kernels", "TensorFormats", "Preprocessing"]
        ),
        .testTarget(
            name: "vlmembedTests",
            dependencies: ["vlmembed", "TensorFormats"]
        ),
        .testTarget(
            name: "FuzzEntriesTests",
            dependencies: ["FuzzEntries"]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// The libFuzzer harness exists only when VLMEMBED_FUZZ=1 (set by `make fuzz`), so the normal build
// and `make test` never compile or link it.
if Context.environment["VLMEMBED_FUZZ"] == "1" {
    package.targets += [
        .target(name: "CFuzzDriver", path: "Fuzz/CFuzzDriver"),
        .executableTarget(name: "vlmembed-fuzz", dependencies: ["FuzzEntries", "CFuzzDriver"], path: "Fuzz/Harness"),
    ]
}
