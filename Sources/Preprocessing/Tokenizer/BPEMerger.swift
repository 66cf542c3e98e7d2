/// The BPE model proper: turns one normalized word (UTF-8 bytes) into token ids.
///
/// Both kinds of BPE reduce to the same table of pair merges:
/// - HF `tokenizer.json` merges: rank = position in the merges list (lower merges first).
/// - SentencePiece / GGUF scores: rank = position of the merged piece's score among all
///   distinct scores, highest score first.
/// Ties are broken by the leftmost position, which is what both HF and SentencePiece do.
///
/// The merge loop keeps the symbols in a doubly linked list and the candidate pairs in a
/// binary min-heap, so a word of n characters costs O(n log n) whatever its length.
struct BPEMerger: Sendable {
    /// Single-scalar pieces: Unicode scalar value → id.
    var scalarIDs: [UInt32: Int32] = [:]
    /// `<0xXX>` piece ids by byte value, −1 where the vocabulary has none.
    var byteIDs: [Int32] = Array(repeating: -1, count: 256)
    /// (left id << 32 | right id) → (rank << 32 | merged id).
    var pairs: [UInt64: UInt64] = [:]
    /// The unknown token, used for characters with no piece and no byte fallback.
    var unknownID: Int32?
    /// Consecutive unknown characters become a single unknown token.
    var fuseUnknown = true
    /// Characters with no piece become their UTF-8 bytes as `<0xXX>` pieces.
    var byteFallback = true
    /// HF `ignore_merges`: a word that is itself a piece is emitted whole.
    var wholeWordIDs: [[UInt8]: Int32]? = nil

    @inline(__always)
    static func pairKey(_ a: Int32, _ b: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))
    }

    /// Registers that `left`+`right` merge into `merged` with priority `rank` (lower first).
    /// A later registration of the same pair replaces the earlier one (HF builds a map the same way).
    mutating func addMerge(left: Int32, right: Int32, merged: Int32, rank: UInt32) {
        pairs[Self.pairKey(left, right)] = UInt64(rank) << 32 | UInt64(UInt32(bitPattern: merged))
    }

    /// Appends the ids of `word` (valid UTF-8) to `out`.
    func encode(_ word: ArraySlice<UInt8>, into out: inout [Int32]) {
        if word.isEmpty { return }
        if let whole = wholeWordIDs, let id = whole[Array(word)] {
            out.append(id)
            return
        }
        var ids: [Int32] = []
        ids.reserveCapacity(word.count)
        var lastWasUnknown = false
        var i = word.startIndex
        while i < word.endIndex {
            let (scalar, length) = UTF8Scalars.decode(word, at: i)
            let end = min(i + length, word.endIndex)
            if let id = scalarIDs[scalar] {
                ids.append(id)
                lastWasUnknown = false
            } else if byteFallback, word[i..<end].allSatisfy({ byteIDs[Int($0)] >= 0 }) {
                for b in word[i..<end] { ids.append(byteIDs[Int(b)]) }
                lastWasUnknown = false
            } else if let unk = unknownID {
                if !(fuseUnknown && lastWasUnknown) { ids.append(unk) }
                lastWasUnknown = true
            }
            i = end
        }
        merge(&ids)
        out.append(contentsOf: ids)
    }

    /// Applies the merges to `ids` in place.
    func merge(_ ids: inout [Int32]) {
        let n = ids.count
        if n < 2 || pairs.isEmpty { return }
        var next = [Int32](unsafeUninitializedCapacity: n) { buf, count in
            for k in 0..<n { buf[k] = k + 1 < n ? Int32(k + 1) : -1 }
            count = n
        }
        var prev = [Int32](unsafeUninitializedCapacity: n) { buf, count in
            for k in 0..<n { buf[k] = Int32(k - 1) }
            count = n
        }
        var alive = [Bool](repeating: true, count: n)
        var heap = MinHeap()
        heap.reserve(n)
        for k in 0..<(n - 1) {
            if let v = pairs[Self.pairKey(ids[k], ids[k + 1])] {
                heap.push((v & 0xFFFF_FFFF_0000_0000) | UInt64(k))
            }
        }
        while let top = heap.pop() {
            let rank = top >> 32
            let pos = Int(top & 0xFFFF_FFFF)
            guard alive[pos] else { continue }
            let right = Int(next[pos])
            guard right >= 0, let v = pairs[Self.pairKey(ids[pos], ids[right])], v >> 32 == rank else { continue }
            ids[pos] = Int32(truncatingIfNeeded: v & 0xFFFF_FFFF)
            alive[right] = false
            let after = next[right]
            next[pos] = after
            if after >= 0 { prev[Int(after)] = Int32(pos) }
            let before = prev[pos]
            if before >= 0, let w = pairs[Self.pairKey(ids[Int(before)], ids[pos])] {
                heap.push((w & 0xFFFF_FFFF_0000_0000) | UInt64(before))
            }
            if after >= 0, let w = pairs[Self.pairKey(ids[pos], ids[Int(after)])] {
                heap.push((w & 0xFFFF_FFFF_0000_0000) | UInt64(pos))
            }
        }
        var result: [Int32] = []
        result.reserveCapacity(n)
        var k = 0
        while k >= 0 {
            result.append(ids[k])
            k = Int(next[k])
        }
        ids = result
    }
}

/// A binary min-heap of packed (rank, position) keys.
struct MinHeap {
    private var items: [UInt64] = []

    mutating func reserve(_ n: Int) { items.reserveCapacity(n) }

    mutating func push(_ x: UInt64) {
        items.append(x)
        var c = items.count - 1
        while c > 0 {
            let p = (c - 1) >> 1
            if items[p] <= x { break }
            items[c] = items[p]
            c = p
        }
        items[c] = x
    }

    mutating func pop() -> UInt64? {
        guard let last = items.popLast() else { return nil }
        if items.isEmpty { return last }
        let top = items[0]
        let n = items.count
        var p = 0
        while true {
            var c = 2 * p + 1
            if c >= n { break }
            if c + 1 < n && items[c + 1] < items[c] { c += 1 }
            if items[c] >= last { break }
            items[p] = items[c]
            p = c
        }
        items[p] = last
        return top
    }
}

/// Small UTF-8 helpers for byte-level text handling.
enum UTF8Scalars {
    /// Decodes the scalar starting at `i` (lenient: a malformed byte decodes as itself, length 1).
    static func decode<C: Collection>(_ bytes: C, at i: C.Index) -> (UInt32, Int) where C.Element == UInt8, C.Index == Int {
        let b0 = UInt32(bytes[i])
        let length: Int
        var value: UInt32
        switch b0 {
        case 0..<0x80: return (b0, 1)
        case 0xC0..<0xE0: length = 2; value = b0 & 0x1F
        case 0xE0..<0xF0: length = 3; value = b0 & 0x0F
        case 0xF0..<0xF8: length = 4; value = b0 & 0x07
        default: return (b0, 1)
        }
        guard i + length <= bytes.endIndex else { return (b0, 1) }
        for k in 1..<length {
            let b = UInt32(bytes[i + k])
            guard b & 0xC0 == 0x80 else { return (b0, 1) }
            value = value << 6 | (b & 0x3F)
        }
        return (value, length)
    }

    /// The start index of the scalar that ends just before `end`.
    static func startOfScalar(before end: Int, in bytes: [UInt8], lowerBound: Int = 0) -> Int {
        var i = end - 1
        while i > lowerBound && bytes[i] & 0xC0 == 0x80 { i -= 1 }
        return i
    }

    static func scalar(_ v: UInt32) -> Unicode.Scalar? { Unicode.Scalar(v) }
}
