extension WeightMatrix {
    /// A weight over its own 64-byte aligned copy of `bytes` (the v1 layout of `scheme`), e.g.
    /// straight from `WeightQuantizer.quantize`.
    public init(rows: Int, columns: Int, scheme: QuantScheme, bytes: QuantizedBytes) {
        let sizes = WeightQuantizer.sectionSizes(rows: rows, columns: columns, scheme: scheme)
        precondition(bytes.data.count == sizes.data && bytes.scales.count == sizes.scales && bytes.zeros.count == sizes.zeros,
                     "WeightMatrix: section sizes do not match a \(rows)×\(columns) \(scheme.name) matrix")
        let sections = AlignedSections(bytes)
        self.init(rows: rows, columns: columns, storage: scheme.storage, base: sections.data,
                  scales: sections.scales, zeros: sections.zeros, owner: sections)
    }
}

/// Owned, 64-byte aligned copies of the three sections of a `QuantizedBytes`.
final class AlignedSections: @unchecked Sendable {
    let data: UnsafeRawPointer
    let scales: UnsafeRawPointer
    let zeros: UnsafeRawPointer
    private let allocations: [UnsafeMutableRawPointer]

    init(_ bytes: QuantizedBytes) {
        let copies = [bytes.data, bytes.scales, bytes.zeros].map { section in
            let p = UnsafeMutableRawPointer.allocate(byteCount: max(section.count, 1), alignment: 64)
            section.withUnsafeBytes { if let b = $0.baseAddress { p.copyMemory(from: b, byteCount: section.count) } }
            return p
        }
        allocations = copies
        data = UnsafeRawPointer(copies[0])
        scales = UnsafeRawPointer(copies[1])
        zeros = UnsafeRawPointer(copies[2])
    }

    deinit { allocations.forEach { $0.deallocate() } }
}
