import Bundle
import Foundation
import ModelGraph

// Times opening a bundle (map + header + manifest checksum and parse + layout validation) and
// building its model graph, in process; prints the median and max of N runs.
// Usage: BundleOpenBench BUNDLE.vlmb [runs]
let args = CommandLine.arguments
guard args.count >= 2 else { print("usage: BundleOpenBench BUNDLE.vlmb [runs]"); exit(2) }
let runs = args.count > 2 ? Int(args[2]) ?? 20 : 20
var openTimes: [Double] = [], graphTimes: [Double] = []
for _ in 0..<runs {
    let t0 = DispatchTime.now().uptimeNanoseconds
    do {
        let bundle = try BundleFile(path: args[1])
        let t1 = DispatchTime.now().uptimeNanoseconds
        _ = try bundle.graph()
        let t2 = DispatchTime.now().uptimeNanoseconds
        openTimes.append(Double(t1 - t0) / 1e6)
        graphTimes.append(Double(t2 - t0) / 1e6)
    } catch {
        print("error: \(error)")
        exit(2)
    }
}
let size = (try? FileManager.default.attributesOfItem(atPath: args[1])[.size] as? Int) ?? 0
func median(_ v: [Double]) -> Double { v.sorted()[v.count / 2] }
print(String(format: "bundle %.2f GB: open median %.2f ms (max %.2f), open + graph median %.2f ms (max %.2f), %d runs",
             Double(size) / 1e9, median(openTimes), openTimes.max() ?? 0, median(graphTimes), graphTimes.max() ?? 0, runs))
