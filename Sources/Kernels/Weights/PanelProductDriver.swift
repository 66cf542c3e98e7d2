/// The buffers and threading both integer products (`Int16Product`, `Int8InputProduct`) share:
/// input rows are quantized into the kernel's tile order in parallel chunks of whole tiles, then
/// threads claim runs of weight panels (about 8 runs per thread, so that a thread that loses its
/// core on a shared machine does fewer rather than holding the others up at the end), each with
/// its own panel scratch.
enum PanelProductDriver {
    /// The sizes one product call needs.
    struct Layout {
        /// Input rows per register tile, and weight panels.
        var tile: Int, panels: Int
        /// Bytes of packed input codes, floats of packed input scales, bytes of per-thread scratch.
        var packedInputBytes: Int, packedScaleCount: Int, scratchBytes: Int
        /// Panels a kernel takes at once (runs are a multiple of it where possible).
        var panelStep: Int = 1
    }

    /// Allocates the packed inputs (64-byte aligned) and their scales, calls
    /// `packInputs(codes, scales, rowBegin, rowEnd)` over the `n` input rows in whole tiles, then
    /// `product(codes, scales, panelBegin, panelEnd, scratch)` over the panels.
    static func run(inputs n: Int, _ layout: Layout,
                    packInputs: (UnsafeMutableRawPointer, UnsafeMutablePointer<Float>, Int, Int) -> Void,
                    product: (UnsafeMutableRawPointer, UnsafeMutablePointer<Float>, Int, Int, UnsafeMutableRawPointer) -> Void) {
        let packed = UnsafeMutableRawPointer.allocate(byteCount: max(1, layout.packedInputBytes), alignment: 64)
        let scales = UnsafeMutablePointer<Float>.allocate(capacity: max(1, layout.packedScaleCount))
        defer { packed.deallocate(); scales.deallocate() }

        let tile = layout.tile
        let tiles = (n + tile - 1) / tile
        let inputChunks = min(Parallel.threadCount, tiles)
        Parallel.forEach(inputChunks) { c in
            let t0 = tiles * c / inputChunks, t1 = tiles * (c + 1) / inputChunks
            packInputs(packed, scales, t0 * tile, min(n, t1 * tile))
        }
        let panels = layout.panels
        let threads = min(Parallel.threadCount, panels)
        let step = max(1, layout.panelStep)
        let run = threads <= 1 ? panels : (max(1, panels / (threads * 8)) + step - 1) / step * step
        let runs = (panels + run - 1) / run
        Parallel.forEachClaimed(runs, state: { FloatBuffer(count: (layout.scratchBytes + 3) / 4) }) { scratch, c in
            let p0 = c * run, p1 = min(panels, p0 + run)
            product(packed, scales, p0, p1, UnsafeMutableRawPointer(scratch.pointer))
        }
    }
}
