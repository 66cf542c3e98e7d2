import Testing
import Preprocessing

@Suite struct Phi3VHDGeometryTests {
    /// architectures.md §A.6 worked examples: (W, H) → T at num_crops 4 and 16.
    static let worked: [(Int, Int, Int, Int)] = [
        (800, 599, 757, 1921), (1100, 808, 757, 1921), (808, 1100, 757, 1933),
        (1344, 1344, 757, 2509), (336, 336, 757, 2509), (500, 2000, 781, 2557), (4000, 300, 745, 2041),
    ]

    @Test func workedExamplesFromTheSpec() throws {
        for (w, h, t4, t16) in Self.worked {
            #expect(try Phi3VHDGeometry(width: w, height: h, numCrops: 4).imageTokenCount == t4, "\(w)x\(h) @4")
            #expect(try Phi3VHDGeometry(width: w, height: h, numCrops: 16).imageTokenCount == t16, "\(w)x\(h) @16")
        }
        let demo = try Phi3VHDGeometry(width: 800, height: 599, numCrops: 4)
        #expect(demo.resizedWidth == 672 && demo.resizedHeight == 503 && demo.padTop == 84 && demo.padBottom == 85)
        let portrait = try Phi3VHDGeometry(width: 808, height: 1100, numCrops: 4)
        #expect(portrait.transposed && portrait.padTop == 89 && portrait.padBottom == 90)
        let wide = try Phi3VHDGeometry(width: 4000, height: 300, numCrops: 4)
        #expect(wide.resizedWidth == 1344 && wide.resizedHeight == 100 && wide.padTop == 118 && wide.padBottom == 118)
    }

    @Test func referenceRows() throws {
        let rows = ReferenceCases.imageRows(backbone: "phi3_v")
        #expect(rows.count == 11)
        for (id, row) in rows {
            let g = try Phi3VHDGeometry(width: row["image_width"]?.intValue ?? 0, height: row["image_height"]?.intValue ?? 0, numCrops: 4)
            let hd = row["hd_size_hw"]?.arrayValue?.compactMap { $0.intValue } ?? []
            #expect([g.hdHeight, g.hdWidth] == hd, "\(id)")
            #expect(g.imageTokenCount == row["num_image_tokens"]?.intValue, "\(id)")
        }
    }

    @Test func degenerateImagesAreRefused() {
        #expect(throws: PreprocessingError.self) { try Phi3VHDGeometry(width: 5000, height: 1, numCrops: 4) }
        #expect(throws: PreprocessingError.self) { try Phi3VHDGeometry(width: 0, height: 10, numCrops: 4) }
    }
}

@Suite struct LlavaNextGeometryTests {
    static let pinpoints = [(336, 672), (672, 336), (672, 672), (1008, 336), (336, 1008)]

    /// architectures.md §B.6 worked examples: (H, W) → pinpoint, resized (h, w), patches, N.
    @Test func workedExamplesFromTheSpec() throws {
        let table: [((Int, Int), (Int, Int), (Int, Int), Int, Int)] = [
            ((808, 1100), (672, 672), (494, 672), 5, 2340),
            ((899, 1024), (672, 672), (590, 672), 5, 2634),
            ((599, 800), (672, 672), (504, 672), 5, 2340),
            ((480, 640), (672, 672), (504, 672), 5, 2340),
            ((1344, 1344), (672, 672), (672, 672), 5, 2928),
            ((336, 336), (336, 672), (336, 336), 3, 1176),
            ((128, 128), (336, 672), (336, 336), 3, 1176),
            ((2000, 500), (1008, 336), (1008, 252), 4, 1944),
        ]
        for (size, pin, resized, patches, n) in table {
            let g = try LlavaNextGeometry(height: size.0, width: size.1, pinpoints: Self.pinpoints)
            #expect(g.gridHeight == pin.0 && g.gridWidth == pin.1, "\(size)")
            #expect(g.resizedHeight == resized.0 && g.resizedWidth == resized.1, "\(size)")
            #expect(g.patchCount == patches, "\(size)")
            #expect(g.imageTokenCount == n, "\(size)")
        }
    }

    @Test func referenceRows() throws {
        let rows = ReferenceCases.imageRows(backbone: "llava_next")
        #expect(rows.count == 10)
        for (id, row) in rows {
            let g = try LlavaNextGeometry(height: row["image_height"]?.intValue ?? 0, width: row["image_width"]?.intValue ?? 0, pinpoints: Self.pinpoints)
            let best = row["best_resolution_hw"]?.arrayValue?.compactMap { $0.intValue } ?? []
            #expect([g.gridHeight, g.gridWidth] == best, "\(id)")
            #expect(g.patchCount == row["num_patches"]?.intValue, "\(id)")
            #expect(g.imageTokenCount == row["num_image_tokens"]?.intValue, "\(id)")
        }
    }
}
