import TensorFormats

/// Typed access to a GGUF file's key/value pairs with one-line errors naming the file and key.
struct GGUFMetadataReader {
    let file: GGUFFile
    /// The key prefix (`llama.`, `phi3.`, `clip.vision.`).
    let prefix: String

    var path: String { file.path }

    func int(_ key: String) throws -> Int {
        guard let v = file.uint(prefix + key), let i = Int(exactly: v) else {
            throw FormatError(path, "missing or non-integer GGUF key '\(prefix + key)'")
        }
        return i
    }

    func int(_ key: String, default d: Int) throws -> Int {
        guard file.value(prefix + key) != nil else { return d }
        return try int(key)
    }

    func double(_ key: String, default d: Double) throws -> Double {
        guard file.value(prefix + key) != nil else { return d }
        guard let v = file.float(prefix + key) else { throw FormatError(path, "GGUF key '\(prefix + key)' is not a number") }
        return v
    }

    func doubles(_ key: String) -> [Double]? { file.floatArray(prefix + key) }

    func ints(_ key: String) -> [Int]? { file.intArray(prefix + key)?.map { Int($0) } }

    func string(_ key: String) -> String? { file.string(prefix + key) }

    /// The PyTorch-order shape of a tensor, or nil when the file has no such tensor.
    func shape(_ tensor: String) -> [Int]? { file.descriptor(named: tensor)?.shape }
}

/// One GGUF tensor bound to a canonical name, with the row order that undoes a converter's
/// permutation (nil: as stored).
struct GGUFBinding {
    let source: GGUFFile
    let name: String
    var rowOrder: [Int]? = nil
}

/// llama.cpp's `convert_hf_to_gguf.py` stores llama-family Q and K rows permuted per head so that
/// interleaved-pair RoPE applies: stored row 2j (+1) of a head holds row j (+ d/2) of the HF
/// weight. The inverse as a row order: canonical row h·d + t·d/2 + j is stored row h·d + 2j + t.
enum LlamaRowPermutation {
    static func canonicalOrder(rows: Int, heads: Int) -> [Int]? {
        guard heads > 0, rows % heads == 0, (rows / heads) % 2 == 0 else { return nil }
        let d = rows / heads, half = d / 2
        var order = [Int](repeating: 0, count: rows)
        for h in 0..<heads {
            for t in 0..<2 {
                for j in 0..<half { order[h * d + t * half + j] = h * d + 2 * j + t }
            }
        }
        return order
    }
}

