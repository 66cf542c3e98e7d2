import Testing
@testable import TensorFormats

@Suite("Zip archive reader")
struct TorchZipArchiveTests {
    @Test func torchSaveLayout() throws {
        let zip = try ZipArchive(path: TorchFixtures.path("state_dict.bin"))
        let names = zip.entries.map(\.name)
        #expect(names.first == "state_dict/data.pkl")
        #expect(names.contains("state_dict/byteorder"))
        #expect(names.contains("state_dict/version"))
        #expect(names.contains("state_dict/data/0"))
        for e in zip.entries where e.name.contains("/data/") {
            #expect(e.method == 0)
            #expect(e.dataOffset % 64 == 0, "\(e.name) is not 64-byte aligned")
        }
        let order = try #require(zip.entry(named: "state_dict/byteorder"))
        #expect(Array(try zip.contents(of: order)) == Array("little".utf8))
    }

    @Test func zip64RecordsMatchPlainRecords() throws {
        let plain = try ZipArchive(path: TorchFixtures.path("state_dict.bin"))
        let z64 = try ZipArchive(path: TorchFixtures.path("zip64.bin"))
        #expect(plain.entries.map(\.name) == z64.entries.map(\.name))
        for e in plain.entries {
            let other = try #require(z64.entry(named: e.name))
            #expect(Array(try plain.contents(of: e)) == Array(try z64.contents(of: other)), "\(e.name)")
        }
    }

    @Test func deflatedEntryIsAClearError() throws {
        let path = TorchFixtures.path("deflated.bin")
        let zip = try ZipArchive(path: path)
        let pkl = try #require(zip.entries.first { $0.name.hasSuffix("data.pkl") })
        #expect(pkl.method == 8)
        let e = TorchFixtures.expectFormatError { _ = try zip.contents(of: pkl) }
        #expect(e?.description == "\(path): zip entry \(pkl.name) is deflate-compressed; only stored (uncompressed) entries are supported")
    }
}
