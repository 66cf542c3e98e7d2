import CSHA256

/// SHA-256 (FIPS 180-4), incremental. Used for tensor and bundle checksums.
///
/// Whole blocks go to the C block function (`CSHA256`), which uses the x86 SHA extensions when
/// the processor has them and a portable implementation otherwise.
public struct SHA256: Sendable {
    private var h: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
        (0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19)
    private var pending: [UInt8] = []
    private var length: UInt64 = 0
    private let implementation: Implementation

    /// Which block function compresses the data (tests compare them).
    enum Implementation: Sendable {
        /// The fastest the processor supports.
        case best
        /// Plain C, any processor.
        case portable
    }

    public init() { self.init(implementation: .best) }

    init(implementation: Implementation) {
        self.implementation = implementation
        pending.reserveCapacity(64)
    }

    /// True when whole blocks are compressed with the processor's SHA instructions.
    public static var isAccelerated: Bool { vlm_sha256_accelerated() != 0 }

    /// Feeds bytes.
    public mutating func update(_ data: UnsafeRawBufferPointer) {
        guard let base = data.baseAddress, data.count > 0 else { return }
        length &+= UInt64(data.count)
        var i = 0
        if !pending.isEmpty {
            let take = min(64 - pending.count, data.count)
            pending.append(contentsOf: UnsafeRawBufferPointer(start: base, count: take))
            i = take
            if pending.count == 64 {
                let block = pending
                block.withUnsafeBytes { compress($0.baseAddress.unsafelyUnwrapped, blocks: 1) }
                pending.removeAll(keepingCapacity: true)
            }
        }
        let blocks = (data.count - i) / 64
        if blocks > 0 {
            compress(base + i, blocks: blocks)
            i += blocks * 64
        }
        if i < data.count { pending.append(contentsOf: UnsafeRawBufferPointer(start: base + i, count: data.count - i)) }
    }

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The 32-byte digest. The hasher should not be used afterwards.
    public mutating func finalize() -> [UInt8] {
        let bitLength = length &* 8
        var tail = pending
        tail.append(0x80)
        while tail.count % 64 != 56 { tail.append(0) }
        for s in stride(from: 56, through: 0, by: -8) { tail.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(s))) }
        tail.withUnsafeBytes { compress($0.baseAddress.unsafelyUnwrapped, blocks: $0.count / 64) }
        var out: [UInt8] = []
        out.reserveCapacity(32)
        for w in [h.0, h.1, h.2, h.3, h.4, h.5, h.6, h.7] {
            out += [UInt8(w >> 24), UInt8(truncatingIfNeeded: w >> 16), UInt8(truncatingIfNeeded: w >> 8), UInt8(truncatingIfNeeded: w)]
        }
        return out
    }

    /// Lower-case hex digest of `data`.
    public static func hex(_ data: UnsafeRawBufferPointer) -> String {
        var s = SHA256()
        s.update(data)
        return s.finalize().map { String($0, radix: 16).leftPadded(2) }.joined()
    }

    public static func hex(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { hex($0) }
    }

    /// Lower-case hex of bytes already computed (e.g. a `finalize()` result).
    public static func hexEncoded(_ digest: [UInt8]) -> String {
        digest.map { String($0, radix: 16).leftPadded(2) }.joined()
    }

    /// Compresses `blocks` whole 64-byte blocks at `p` into the state.
    private mutating func compress(_ p: UnsafeRawPointer, blocks: Int) {
        let implementation = self.implementation
        withUnsafeMutableBytes(of: &h) { state in
            let words = state.baseAddress.unsafelyUnwrapped.assumingMemoryBound(to: UInt32.self)
            let bytes = p.assumingMemoryBound(to: UInt8.self)
            switch implementation {
            case .best: vlm_sha256_blocks(words, bytes, blocks)
            case .portable: vlm_sha256_blocks_portable(words, bytes, blocks)
            }
        }
    }
}

extension String {
    fileprivate func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
