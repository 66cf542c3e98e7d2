// Times vlmembed's preprocessing (tokenizer, Phi-3-V and LLaVA-NeXT image processors, including
// image decoding) on one thread and prints one JSON object. Run by Tools/bench/run_preprocess_bench.sh
// next to the upstream Python processors. Not a test.
import Foundation
import Kernels
import Preprocessing

func median(_ xs: [Double]) -> Double { let s = xs.sorted(); return s[s.count / 2] }

func time(_ runs: Int, _ body: () throws -> Void) rethrows -> Double {
    try body()  // warm-up
    var t: [Double] = []
    for _ in 0..<runs {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        t.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return median(t)
}

let args = CommandLine.arguments
guard args.count >= 4 else {
    FileHandle.standardError.write("usage: PreprocessBench REPO_ROOT IMAGE TEXT_FILE [RUNS]\n".data(using: .utf8)!)
    exit(2)
}
let root = args[1], image = args[2], textFile = args[3]
let runs = args.count > 4 ? Int(args[4]) ?? 5 : 5
Parallel.setThreadCount(1)

let lines = try String(contentsOfFile: textFile, encoding: .utf8).split(separator: "\n").map(String.init)
let bytes = lines.reduce(0) { $0 + $1.utf8.count + 1 }
let llavaTokenizer = try Tokenizer.load(modelDirectory: root + "/Fixtures/models/llava_next")
let tokenizeSeconds = time(max(1, runs / 2)) { for l in lines { _ = llavaTokenizer.encode(l, addSpecialTokens: true) } }

let pins = [(336, 672), (672, 336), (672, 672), (1008, 336), (336, 1008)]
var result: [String: Double] = ["tokenize_mb_per_s": Double(bytes) / 1e6 / tokenizeSeconds]
result["phi3_v_4_crops_s"] = try time(runs) { _ = try Phi3VImageProcessor(numCrops: 4).process(try ImageDecoder.decode(contentsOf: image)) }
result["phi3_v_16_crops_s"] = try time(runs) { _ = try Phi3VImageProcessor(numCrops: 16).process(try ImageDecoder.decode(contentsOf: image)) }
result["llava_next_s"] = try time(runs) { _ = try LlavaNextImageProcessor(pinpoints: pins).process(try ImageDecoder.decode(contentsOf: image)) }
let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
print(String(decoding: json, as: UTF8.self))
