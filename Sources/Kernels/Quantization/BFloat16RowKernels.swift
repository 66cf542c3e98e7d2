/// Symmetric int4 straight from bfloat16 rows (checkpoints store decoder weights as bf16): no fp32
/// copy of the row is made. A bf16 is the upper half of an fp32, so
/// - max |w| of a group is the largest of the 16-bit magnitudes `bits & 0x7FFF` compared as
///   integers (eight lanes per SSE2 instruction; a magnitude from 0x7F80 up is an infinity or a
///   NaN, which sends the group to the scalar formulas), and
/// - a 32-bit lane holding columns 2k, 2k+1 gives both as fp32 by one shift (`<< 16`, the even
///   column) and one mask (`& 0xFFFF0000`, the odd one), already split for nibble packing.
/// The bytes are `QuantizationFormulas.int4Row`'s on the widened row (see `QuantizationKernels`
/// for why the clamp is a no-op where the scale is normal).
enum BFloat16RowKernels {
    typealias F4 = SIMD4<Float>
    typealias U4 = SIMD4<UInt32>
    typealias I8 = SIMD8<Int16>

    /// Whether `int4SymmetricRow` takes rows of this shape (else widen and use the fp32 kernels).
    static func takes(columns: Int, group: Int) -> Bool { columns > 0 && columns % 32 == 0 && group % 32 == 0 }

    /// One row of `columns` bf16 values (little-endian, any alignment) at `src`. `scratch` holds
    /// `group` floats for groups the vector path does not take.
    static func int4SymmetricRow(_ src: UnsafeRawPointer, columns: Int, group: Int, packed: UnsafeMutablePointer<UInt8>,
                                 scales: UnsafeMutableRawPointer, scratch: UnsafeMutablePointer<Float>, stats: inout QuantizationStats) {
        var c0 = 0
        var g = 0
        // Four groups at a time: their reductions, scale divisions and scale conversions share vector instructions.
        while c0 + 4 * group <= columns {
            let p = src + 2 * c0
            let bits = maxMagnitudeBits(groupLanes(p, count: group), groupLanes(p + 2 * group, count: group),
                                        groupLanes(p + 4 * group, count: group), groupLanes(p + 6 * group, count: group))
            let m = unsafeBitCast(bits &<< 16, to: F4.self)
            let scale = m / 7
            let half = halfBits(scale)
            for k in 0..<4 {
                let c = c0 + k * group
                quantize(src + 2 * c, count: group, bits: bits[k], m: m[k], scale: scale[k], half: half[k], packed: packed + c / 2,
                         scale: scales + 2 * (g + k), scratch: scratch, stats: &stats)
            }
            c0 &+= 4 * group
            g &+= 4
        }
        while c0 < columns {
            let n = min(group, columns - c0)
            let lanes = groupLanes(src + 2 * c0, count: n)
            let bits = maxMagnitudeBits(lanes, lanes, lanes, lanes)[0]
            let m = Float(bitPattern: UInt32(bits) << 16)
            quantize(src + 2 * c0, count: n, bits: bits, m: m, scale: m / 7, half: UInt32(QuantizationKernels.halfBits(m / 7)), packed: packed + c0 / 2,
                     scale: scales + 2 * g, scratch: scratch, stats: &stats)
            c0 &+= n
            g &+= 1
        }
    }

    /// Per lane of eight, the largest `bits & 0x7FFF` over a group of `count` (a multiple of 16) bf16 values.
    @inline(__always)
    static func groupLanes(_ src: UnsafeRawPointer, count: Int) -> I8 {
        var m0 = I8(), m1 = I8()
        var j = 0
        while j < count {
            m0 = vmax(m0, src.loadUnaligned(fromByteOffset: 2 &* j, as: I8.self) & 0x7FFF)
            m1 = vmax(m1, src.loadUnaligned(fromByteOffset: 2 &* j &+ 16, as: I8.self) & 0x7FFF)
            j &+= 16
        }
        return vmax(m0, m1)
    }

    /// Lane k: the largest of the eight lanes of the k-th argument, as an Int32 (a 4×4
    /// transpose-and-reduce after folding each argument's 16-bit pairs).
    @inline(__always)
    static func maxMagnitudeBits(_ a: I8, _ b: I8, _ c: I8, _ d: I8) -> SIMD4<Int32> {
        @inline(__always) func pairs(_ v: I8) -> SIMD4<Int32> {
            let u = unsafeBitCast(v, to: SIMD4<Int32>.self)
            return vmax32(u & 0xFFFF, u &>> 16)
        }
        let pa = pairs(a), pb = pairs(b), pc = pairs(c), pd = pairs(d)
        let ab = vmax32(SIMD4(pa[0], pa[1], pb[0], pb[1]), SIMD4(pa[2], pa[3], pb[2], pb[3]))
        let cd = vmax32(SIMD4(pc[0], pc[1], pd[0], pd[1]), SIMD4(pc[2], pc[3], pd[2], pd[3]))
        return vmax32(SIMD4(ab[0], ab[2], cd[0], cd[2]), SIMD4(ab[1], ab[3], cd[1], cd[3]))
    }

    /// `QuantizationKernels.halfBits` of four positive scales: vector arithmetic when all of them
    /// give normal binary16 values or infinity, else lane by lane.
    @inline(__always)
    static func halfBits(_ s: F4) -> SIMD4<UInt32> {
        let b = unsafeBitCast(s, to: U4.self)
        let inRange = (b .>= 0x3880_0000) .& (b .< 0x4780_0000)
        guard all(inRange) else {
            return SIMD4(UInt32(QuantizationKernels.halfBits(s[0])), UInt32(QuantizationKernels.halfBits(s[1])),
                         UInt32(QuantizationKernels.halfBits(s[2])), UInt32(QuantizationKernels.halfBits(s[3])))
        }
        return ((b &+ 0x0FFF &+ ((b &>> 13) & 1)) &>> 13) &- (112 << 10)
    }

    /// One group of `count` (a multiple of 32) columns whose largest magnitude is `bits` (as a
    /// bf16 bit pattern) = `m`, and `scale` = m / 7.
    @inline(__always)
    static func quantize(_ src: UnsafeRawPointer, count: Int, bits: Int32, m: Float, scale: Float, half: UInt32, packed: UnsafeMutablePointer<UInt8>,
                         scale out: UnsafeMutableRawPointer, scratch: UnsafeMutablePointer<Float>, stats: inout QuantizationStats) {
        guard bits < 0x7F80, QuantizationKernels.isNormal(scale) else {
            // NaN or infinity (flag it), or a zero or subnormal scale: the scalar formulas on the widened group.
            if bits >= 0x7F80 { stats.mayBeNonFinite = true }
            scalarGroup(src, count: count, packed: packed, scale: out, scratch: scratch, stats: &stats)
            return
        }
        stats.maxMagnitude = m > stats.maxMagnitude ? m : stats.maxMagnitude
        out.storeBytes(of: UInt16(truncatingIfNeeded: half).littleEndian, as: UInt16.self)
        let d = F4(repeating: scale)
        var j = 0
        while j < count {
            let p = src + 2 &* j
            QuantizationKernels.storeBytes(pairs(p, 0, d), pairs(p, 16, d), pairs(p, 32, d), pairs(p, 48, d), to: packed + j / 2)
            j &+= 32
        }
    }

    /// `QuantizationFormulas.int4Row` on the group widened into `scratch`.
    @inline(never)
    static func scalarGroup(_ src: UnsafeRawPointer, count: Int, packed: UnsafeMutablePointer<UInt8>, scale out: UnsafeMutableRawPointer,
                            scratch: UnsafeMutablePointer<Float>, stats: inout QuantizationStats) {
        for k in 0..<count { scratch[k] = BrainFloat16.toFloat(src.loadUnaligned(fromByteOffset: 2 * k, as: UInt16.self)) }
        let s = QuantizationStats.scan(scratch, count)
        stats.maxMagnitude = s.maxMagnitude > stats.maxMagnitude ? s.maxMagnitude : stats.maxMagnitude
        QuantizationFormulas.int4Row(scratch, columns: count, group: count, packed: packed, scales: out, zeros: nil)
    }

    /// Columns 2k, 2k+1 of 8 bf16 values at byte offset `o` as nibble-pair bytes (q_even + 8) | (q_odd + 8) << 4.
    @inline(__always)
    static func pairs(_ p: UnsafeRawPointer, _ o: Int, _ d: F4) -> U4 {
        let x = p.loadUnaligned(fromByteOffset: o, as: U4.self)
        let even = QuantizationKernels.codeBits(unsafeBitCast(x &<< 16, to: F4.self), d)
        let odd = QuantizationKernels.codeBits(unsafeBitCast(x & 0xFFFF_0000, to: F4.self), d)
        return even &+ (odd &<< 4) &+ 0x88
    }

    @inline(__always)
    static func vmax(_ a: I8, _ b: I8) -> I8 { a.replacing(with: b, where: b .> a) }

    @inline(__always)
    static func vmax32(_ a: SIMD4<Int32>, _ b: SIMD4<Int32>) -> SIMD4<Int32> { a.replacing(with: b, where: b .> a) }
}
