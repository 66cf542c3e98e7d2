extension TorchBicubic {
    /// `TorchBicubic.interpolate` fed one source row at a time, so the caller never materialises the
    /// source image: each pushed row gets its width pass at once (kept in a ring of 4 rows per
    /// channel), and every output row is written as soon as the last of its 4 source rows has arrived.
    ///
    /// Rows of one channel must arrive in increasing order; channels are independent. Rows that no
    /// output reads may be skipped (`isNeeded`). A source row may be stored in pieces (`Segments`),
    /// such as one HD row spread over the Phi-3-V crops, so it need not be copied into one array.
    /// The arithmetic per output is exactly the one described on `TorchBicubic`: width sums per
    /// source row, then the height sum, each in torch's fused order, 4 outputs at a time in double
    /// lanes (`ExactFusedSum`).
    final class RowStream {
        let channels: Int
        let inWidth: Int
        /// Where source value x of a pushed row is, relative to the row pointer.
        let widthOffset: [Int]
        let outHeight: Int
        let outWidth: Int
        let widthTaps: Taps
        let heightTaps: Taps
        /// Width pass, per group of 4 outputs: 4 taps × 4 lanes of source indices and weights.
        let laneIndex: [Int32]
        let laneWeight: [Double]
        /// Per group, the stride k (1, 2 or 4) when its taps are base + b + k·lane (then they are read
        /// with contiguous loads and shuffles), or 0 (gathered one by one).
        let groupStride: [Int8]
        /// The largest source row each output row reads.
        let lastRow: [Int]
        /// Whether any output row reads each source row.
        let needed: [Bool]
        /// Width sums of the last 4 source rows, per channel: source row y is in slot y % 4.
        let ring: UnsafeMutablePointer<Float>
        /// Per channel, the next output row to write.
        var nextOutput: [Int]
        /// Whether every partial sum of the width (height) pass is exact in double for the values this
        /// stream is promised, so the unchecked kernel `ExactFusedSum.sumExactInDouble` is exact.
        let widthExactInDouble: Bool
        let heightExactInDouble: Bool
        /// Per channel, the width sums of a constant row and the constant's bit pattern.
        let constantSums: UnsafeMutablePointer<Float>
        var constantBits: [UInt32?]

        /// A source row stored as consecutive pieces of `length` values, each `stride` values after
        /// the previous one.
        struct Segments {
            var length: Int
            var stride: Int
        }

        /// `values`, if given, is a grid every pushed value lies on (it enables the faster kernel
        /// where that proves the sums exact in double); without it every sum is checked.
        /// `segments` describes how pushed rows are laid out (default: contiguous).
        init(channels: Int, height: Int, width: Int, outHeight: Int, outWidth: Int, values: FloatGrid? = nil,
             segments: Segments? = nil) {
            precondition(channels >= 0 && height > 0 && width > 0 && outHeight > 0 && outWidth > 0,
                         "TorchBicubic: sizes must be positive")
            self.channels = channels
            self.inWidth = width
            let offsets = (0..<width).map { x in segments.map { (x / $0.length) * $0.stride + x % $0.length } ?? x }
            precondition((offsets.last ?? 0) <= Int(Int32.max), "TorchBicubic: source row too long")
            widthOffset = offsets
            self.outHeight = outHeight
            self.outWidth = outWidth
            let widthTaps = Taps(inSize: width, outSize: outWidth), heightTaps = Taps(inSize: height, outSize: outHeight)
            self.widthTaps = widthTaps
            self.heightTaps = heightTaps
            let groups = outWidth / 4
            var index = [Int32](repeating: 0, count: 16 * groups)
            var weight = [Double](repeating: 0, count: 16 * groups)
            for g in 0..<groups {
                for b in 0..<4 {
                    for l in 0..<4 {
                        index[16 * g + 4 * b + l] = Int32(offsets[widthTaps.index[4 * (4 * g + l) + b]])
                        weight[16 * g + 4 * b + l] = Double(widthTaps.weight[4 * (4 * g + l) + b])
                    }
                }
            }
            laneIndex = index
            laneWeight = weight
            groupStride = (0..<groups).map { g in
                let base = Int(index[16 * g])
                let stride = [1, 2, 4].first { k in
                    (0..<16).allSatisfy { t in Int(index[16 * g + t]) == base + t / 4 + k * (t % 4) }
                }
                return Int8(stride ?? 0)
            }
            var last = [Int](repeating: 0, count: outHeight)
            var needed = [Bool](repeating: false, count: height)
            for i in 0..<outHeight {
                for b in 0..<4 {
                    let row = heightTaps.index[4 * i + b]
                    needed[row] = true
                    last[i] = max(last[i], row)
                }
            }
            lastRow = last
            let midGrid = values.flatMap { Self.sumGrid(of: $0, taps: widthTaps) }
            widthExactInDouble = midGrid != nil
            heightExactInDouble = midGrid.flatMap { Self.sumGrid(of: $0, taps: heightTaps) } != nil
            self.needed = needed
            ring = .allocate(capacity: channels * 4 * outWidth)
            ring.initialize(repeating: 0, count: channels * 4 * outWidth)
            nextOutput = [Int](repeating: 0, count: channels)
            constantSums = .allocate(capacity: channels * outWidth)
            constantSums.initialize(repeating: 0, count: channels * outWidth)
            constantBits = [UInt32?](repeating: nil, count: channels)
        }

        deinit {
            ring.deallocate()
            constantSums.deallocate()
        }

        /// The grid of the 4-tap sums of values on `grid` with these taps' weights, if all partial
        /// sums are exact in double.
        static func sumGrid(of grid: FloatGrid, taps: Taps) -> FloatGrid? {
            guard let weights = FloatGrid(taps.weight) else { return nil }
            var largest = 0.0
            for i in stride(from: 0, to: taps.weight.count, by: 4) {
                largest = max(largest, (0..<4).reduce(0.0) { $0 + Double(taps.weight[i + $1].magnitude) })
            }
            return grid.weightedSums(weights: weights, weightSumExponent: FloatGrid.exponentAbove(largest))
        }

        /// Whether any output reads source row `y` (rows that are not may be skipped).
        func isNeeded(row y: Int) -> Bool { needed[y] }

        /// Takes source row `y` of `channel` (`inWidth` values, laid out as `widthOffset` says) and
        /// writes the output rows that are complete into `output` (channels × outHeight × outWidth).
        func push(channel: Int, row y: Int, values: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>) {
            guard needed[y] else { return }
            let slot = (channel * 4 + y % 4) * outWidth
            widthPass(values, into: ring + slot)
            emit(channel: channel, upTo: y, into: output)
        }

        /// Takes source row `y` of `channel` whose values all equal `value` (padding).
        func pushConstant(channel: Int, row y: Int, value: Float, into output: UnsafeMutablePointer<Float>) {
            guard needed[y] else { return }
            if constantBits[channel] != value.bitPattern {
                // The same sums the lane kernels would give (they agree with the scalar sum bit for bit).
                widthTaps.weight.withUnsafeBufferPointer { w in
                    for j in 0..<outWidth {
                        let t = 4 * j
                        constantSums[channel * outWidth + j] = ExactFusedSum.sum(value, value, value, value,
                                                                                 w[t], w[t + 1], w[t + 2], w[t + 3])
                    }
                }
                constantBits[channel] = value.bitPattern
            }
            let slot = (channel * 4 + y % 4) * outWidth
            (ring + slot).update(from: constantSums + channel * outWidth, count: outWidth)
            emit(channel: channel, upTo: y, into: output)
        }

        /// Width sums of one source row: dst[j] = Σ_b src[ix_b(j)]·wx_b(j) in torch's order.
        func widthPass(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>) {
            let groups = outWidth / 4
            laneIndex.withUnsafeBufferPointer { indexBuf in
                laneWeight.withUnsafeBufferPointer { weightBuf in
                    groupStride.withUnsafeBufferPointer { strideBuf in
                        guard let ix = indexBuf.baseAddress, let wt = weightBuf.baseAddress.map(UnsafeRawPointer.init) else { return }
                        for g in 0..<groups {
                            let k = ix + 16 * g, w = wt + 128 * g
                            let (t0, t1, t2, t3) = Self.tapValues(src, k, stride: strideBuf[g])
                            let v0 = ExactFusedSum.Lanes(t0), v1 = ExactFusedSum.Lanes(t1)
                            let v2 = ExactFusedSum.Lanes(t2), v3 = ExactFusedSum.Lanes(t3)
                            @inline(__always) func weight(_ b: Int) -> ExactFusedSum.Lanes {
                                w.loadUnaligned(fromByteOffset: 32 * b, as: ExactFusedSum.Lanes.self)
                            }
                            if widthExactInDouble {
                                let r = ExactFusedSum.sumExactInDouble(v0, v1, v2, v3, weight(0), weight(1), weight(2), weight(3))
                                UnsafeMutableRawPointer(dst + 4 * g).storeBytes(of: r, as: SIMD4<Float>.self)
                            } else if let r = ExactFusedSum.sum(v0, v1, v2, v3, weight(0), weight(1), weight(2), weight(3)) {
                                UnsafeMutableRawPointer(dst + 4 * g).storeBytes(of: r, as: SIMD4<Float>.self)
                            } else {
                                for j in 4 * g..<4 * g + 4 { dst[j] = scalarWidthSum(src, j) }
                            }
                        }
                    }
                }
            }
            for j in 4 * groups..<outWidth { dst[j] = scalarWidthSum(src, j) }
        }

        /// The source values of one group of 4 outputs, tap by tap (lane l = output 4g + l), read
        /// according to the group's stride; `k` holds its 16 tap indices. Every load stays within
        /// the group's own taps (from base to base + 3 + 3·stride).
        @inline(__always)
        static func tapValues(_ src: UnsafePointer<Float>, _ k: UnsafePointer<Int32>, stride: Int8)
            -> (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>) {
            let base = UnsafeRawPointer(src + Int(k[0]))
            @inline(__always) func load(_ offset: Int) -> SIMD4<Float> {
                base.loadUnaligned(fromByteOffset: 4 * offset, as: SIMD4<Float>.self)
            }
            switch stride {
            case 1:
                return (load(0), load(1), load(2), load(3))
            case 2:
                let a = SIMD8(lowHalf: load(0), highHalf: load(4)), b = SIMD8(lowHalf: load(2), highHalf: load(6))
                return (a.evenHalf, a.oddHalf, b.evenHalf, b.oddHalf)
            case 4:
                // 4×4 transpose of the rows src[base + 4l ..< base + 4l + 4].
                let r0 = load(0), r1 = load(4), r2 = load(8), r3 = load(12)
                let e = SIMD8(lowHalf: SIMD8(lowHalf: r0, highHalf: r1).evenHalf, highHalf: SIMD8(lowHalf: r2, highHalf: r3).evenHalf)
                let o = SIMD8(lowHalf: SIMD8(lowHalf: r0, highHalf: r1).oddHalf, highHalf: SIMD8(lowHalf: r2, highHalf: r3).oddHalf)
                return (e.evenHalf, o.evenHalf, e.oddHalf, o.oddHalf)
            default:
                @inline(__always) func gather(_ b: Int) -> SIMD4<Float> {
                    SIMD4(src[Int(k[4 * b])], src[Int(k[4 * b + 1])], src[Int(k[4 * b + 2])], src[Int(k[4 * b + 3])])
                }
                return (gather(0), gather(1), gather(2), gather(3))
            }
        }

        /// One width sum, scalar (the tail and the rare lanes the checked kernel refuses).
        @inline(__always)
        func scalarWidthSum(_ src: UnsafePointer<Float>, _ j: Int) -> Float {
            let t = 4 * j
            return widthTaps.index.withUnsafeBufferPointer { ix in
                widthTaps.weight.withUnsafeBufferPointer { w in
                    widthOffset.withUnsafeBufferPointer { off in
                        ExactFusedSum.sum(src[off[ix[t]]], src[off[ix[t + 1]]], src[off[ix[t + 2]]], src[off[ix[t + 3]]],
                                          w[t], w[t + 1], w[t + 2], w[t + 3])
                    }
                }
            }
        }

        /// Writes every output row of `channel` whose source rows all lie at or above `y`.
        func emit(channel: Int, upTo y: Int, into output: UnsafeMutablePointer<Float>) {
            var i = nextOutput[channel]
            guard i < outHeight, lastRow[i] <= y else { return }
            let width = outWidth
            heightTaps.index.withUnsafeBufferPointer { ix in
                heightTaps.weight.withUnsafeBufferPointer { wt in
                    let ring = UnsafePointer(self.ring + channel * 4 * width)
                    while i < outHeight && lastRow[i] <= y {
                        // The 4 source rows of output row i are within y-3...y, so all still in the ring.
                        let t = 4 * i
                        let r0 = ring + (ix[t] % 4) * width, r1 = ring + (ix[t + 1] % 4) * width
                        let r2 = ring + (ix[t + 2] % 4) * width, r3 = ring + (ix[t + 3] % 4) * width
                        let w0 = wt[t], w1 = wt[t + 1], w2 = wt[t + 2], w3 = wt[t + 3]
                        let d0 = ExactFusedSum.Lanes(repeating: Double(w0)), d1 = ExactFusedSum.Lanes(repeating: Double(w1))
                        let d2 = ExactFusedSum.Lanes(repeating: Double(w2)), d3 = ExactFusedSum.Lanes(repeating: Double(w3))
                        let dst = output + (channel * outHeight + i) * width
                        @inline(__always) func load(_ p: UnsafePointer<Float>, _ j: Int) -> ExactFusedSum.Lanes {
                            ExactFusedSum.Lanes(UnsafeRawPointer(p + j).loadUnaligned(as: SIMD4<Float>.self))
                        }
                        var j = 0
                        if heightExactInDouble {
                            while j + 4 <= width {
                                let r = ExactFusedSum.sumExactInDouble(load(r0, j), load(r1, j), load(r2, j), load(r3, j), d0, d1, d2, d3)
                                UnsafeMutableRawPointer(dst + j).storeBytes(of: r, as: SIMD4<Float>.self)
                                j += 4
                            }
                        }
                        while j + 4 <= width {
                            if let r = ExactFusedSum.sum(load(r0, j), load(r1, j), load(r2, j), load(r3, j), d0, d1, d2, d3) {
                                UnsafeMutableRawPointer(dst + j).storeBytes(of: r, as: SIMD4<Float>.self)
                            } else {
                                for k in j..<j + 4 { dst[k] = ExactFusedSum.sum(r0[k], r1[k], r2[k], r3[k], w0, w1, w2, w3) }
                            }
                            j += 4
                        }
                        while j < width {
                            dst[j] = ExactFusedSum.sum(r0[j], r1[j], r2[j], r3[j], w0, w1, w2, w3)
                            j += 1
                        }
                        i += 1
                    }
                }
            }
            nextOutput[channel] = i
        }
    }
}
