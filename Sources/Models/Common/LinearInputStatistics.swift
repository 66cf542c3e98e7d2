/// The importance of every linear layer's input columns: the mean of x² of each column over the
/// rows a forward pass feeds it, accumulated over a calibration set (`convert --calibration`), for
/// `Int4Method.importance`. Bound to `current` around forward passes; each `LinearLayer.apply`
/// then adds its input rows under its weight's canonical name (`<prefix>.weight`).
///
/// One forward at a time: the layers call `add` from the thread that runs the forward, never from
/// the kernels' worker threads.
public final class LinearInputStatistics: @unchecked Sendable {
    /// The statistics forward passes in this scope add to (none: nothing is recorded).
    @TaskLocal public static var current: LinearInputStatistics?

    private var sums: [String: [Double]] = [:]
    private var rowCounts: [String: Int] = [:]
    /// Σ xᵀx per weight (upper triangle, row-major columns × columns) when collected.
    private var products: [String: [Double]] = [:]
    /// Collect Σ xᵀx too (GPTQ's H), within `secondMomentBudget` bytes.
    public let collectsSecondMoments: Bool
    public let secondMomentBudget: Int
    private var secondMomentBytes = 0
    /// The bytes the second moments would have needed when they exceeded the budget (then none are kept).
    public private(set) var secondMomentsNeeded: Int?

    /// - Parameters:
    ///   - secondMoments: also accumulate Σ xᵀx per linear (8·columns² bytes each).
    ///   - budget: the most bytes the second moments may take; past it, they are dropped and
    ///     `secondMomentsNeeded` says how many bytes the layers seen so far would need.
    public init(secondMoments: Bool = false, budget: Int = 4 << 30) {
        collectsSecondMoments = secondMoments
        secondMomentBudget = budget
    }

    /// Adds `rows` input rows of `columns` values (row-major, contiguous) seen by weight `name`.
    public func add(_ name: String, _ x: UnsafePointer<Float>, rows: Int, columns: Int) {
        // Taken out of the dictionary while it grows, so the update does not copy it.
        var sum = sums.removeValue(forKey: name) ?? [Double](repeating: 0, count: columns)
        guard sum.count == columns else { sums[name] = sum; return }
        sum.withUnsafeMutableBufferPointer { s in
            for r in 0..<rows {
                let row = x + r * columns
                for c in 0..<columns { s[c] += Double(row[c]) * Double(row[c]) }
            }
        }
        sums[name] = sum
        rowCounts[name, default: 0] += rows
        if collectsSecondMoments { addProducts(name, x, rows: rows, columns: columns) }
    }

    private func addProducts(_ name: String, _ x: UnsafePointer<Float>, rows: Int, columns c: Int) {
        if products[name] == nil {
            let (bytes, overflow) = (8 * c).multipliedReportingOverflow(by: c)
            if secondMomentsNeeded != nil || overflow || secondMomentBytes + bytes > secondMomentBudget {
                secondMomentsNeeded = (secondMomentsNeeded ?? secondMomentBytes) &+ (overflow ? Int.max / 2 : bytes)
                products = [:]
                return
            }
            secondMomentBytes += bytes
            products[name] = [Double](repeating: 0, count: c * c)
        }
        guard var g = products.removeValue(forKey: name) else { return }
        guard g.count == c * c else { products[name] = g; return }
        g.withUnsafeMutableBufferPointer { gb in
            let g = gb.baseAddress.unsafelyUnwrapped
            for r in 0..<rows {
                let row = x + r * c
                for i in 0..<c {
                    let xi = Double(row[i])
                    if xi == 0 { continue }
                    let gi = g + i * c
                    for j in i..<c { gi[j] += xi * Double(row[j]) }
                }
            }
        }
        products[name] = g
    }

    /// H = E[xᵀx] of `name`'s input (columns × columns, row-major, symmetric), when collected.
    public func secondMoments(_ name: String) -> [Double]? {
        guard let g = products[name], let n = rowCounts[name], n > 0 else { return nil }
        let c = Int(Double(g.count).squareRoot())
        var h = [Double](repeating: 0, count: g.count)
        for i in 0..<c {
            for j in i..<c {
                let v = g[i * c + j] / Double(n)
                h[i * c + j] = v
                h[j * c + i] = v
            }
        }
        return h
    }

    /// Adds precomputed means (a saved importance file): `rows` rows whose mean x² per column was `means`.
    public func add(_ name: String, means: [Float], rows: Int) {
        var sum = sums[name] ?? [Double](repeating: 0, count: means.count)
        guard sum.count == means.count else { return }
        for c in means.indices { sum[c] += Double(means[c]) * Double(rows) }
        sums[name] = sum
        rowCounts[name, default: 0] += rows
    }

    /// Weight names with statistics, sorted.
    public var names: [String] { sums.keys.sorted() }

    /// Rows seen by `name`'s layer.
    public func rows(_ name: String) -> Int { rowCounts[name] ?? 0 }

    /// The mean of x² per input column of `name`'s layer, or nil when it saw no rows.
    public func importance(_ name: String) -> [Float]? {
        guard let sum = sums[name], let n = rowCounts[name], n > 0 else { return nil }
        return sum.map { Float($0 / Double(n)) }
    }
}
