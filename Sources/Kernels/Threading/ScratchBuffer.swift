/// One thread's 64-byte-aligned scratch memory for a kernel, freed with the last reference
/// (the per-thread state of `Parallel.forEachClaimed(_:state:_:)`).
final class ScratchBuffer {
    let pointer: UnsafeMutableRawPointer
    init(byteCount: Int) { pointer = UnsafeMutableRawPointer.allocate(byteCount: max(1, byteCount), alignment: 64) }
    deinit { pointer.deallocate() }
}
