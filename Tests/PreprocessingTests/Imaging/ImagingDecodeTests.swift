import Foundation
import Preprocessing
import TensorFormats
import Testing

@Suite("Imaging: decoding matches Pillow 11.2.1 convert(\"RGB\")")
struct ImagingDecodeTests {
    static let pngCases = ImagingFixtures.cases("decode_png").map { $0["file"] as? String ?? "?" }
    static let jpegCases = ImagingFixtures.cases("decode_jpeg").map { $0["file"] as? String ?? "?" }
    static let referenceCases = ImagingFixtures.cases("decode_reference").map { $0["file"] as? String ?? "?" }

    static func entry(_ key: String, _ file: String) -> [String: Any]? {
        ImagingFixtures.cases(key).first { $0["file"] as? String == file }
    }

    @Test("fixture manifest is present")
    func manifestLoaded() {
        #expect(Self.pngCases.count >= 20)
        #expect(Self.jpegCases.count >= 6)
    }

    @Test("PNG kinds decode byte-exact", arguments: pngCases)
    func png(_ file: String) throws {
        let e = try #require(Self.entry("decode_png", file))
        let img = try ImageDecoder.decode(contentsOf: ImagingFixtures.path(file))
        #expect(img.width == e["width"] as? Int)
        #expect(img.height == e["height"] as? Int)
        let expected = try #require(ImagingFixtures.bytes(ImagingFixtures.path(e["expected"] as? String ?? "")))
        let d = ImagingFixtures.diff(img.pixels, expected)
        #expect(img.pixels == expected, "\(file): max diff \(d.max), \(d.differing) bytes differ")
    }

    @Test("small JPEGs decode within the measured bound", arguments: jpegCases)
    func jpeg(_ file: String) throws {
        let e = try #require(Self.entry("decode_jpeg", file))
        let img = try ImageDecoder.decode(contentsOf: ImagingFixtures.path(file))
        #expect(img.width == e["width"] as? Int)
        #expect(img.height == e["height"] as? Int)
        let expected = try #require(ImagingFixtures.bytes(ImagingFixtures.path(e["expected"] as? String ?? "")))
        let d = ImagingFixtures.diff(img.pixels, expected)
        // libjpeg-turbo 2.1.5 (system) vs 3.1.0 (Pillow wheel): measured identical.
        #expect(d.max == 0, "\(file): max diff \(d.max), mean \(d.mean), \(d.differing) bytes differ")
    }

    @Test("reference images decode to Pillow's bytes (sha256)", arguments: referenceCases)
    func reference(_ file: String) throws {
        let path = ImagingFixtures.referenceImages + "/" + file
        guard FileManager.default.fileExists(atPath: path) else { Issue.record("missing fixture \(path)"); return }
        let e = try #require(Self.entry("decode_reference", file))
        let img = try ImageDecoder.decode(contentsOf: path)
        #expect(img.width == e["width"] as? Int)
        #expect(img.height == e["height"] as? Int)
        #expect(ImagingFixtures.sha256(img.pixels) == e["sha256"] as? String, "\(file) differs from Pillow")
    }

    @Test("example.jpg vs Pillow's decoded/example.decoded.png")
    func exampleJPEG() throws {
        let jpg = ImagingFixtures.referenceImages + "/example.jpg"
        let ref = ImagingFixtures.referenceImages + "/decoded/example.decoded.png"
        guard FileManager.default.fileExists(atPath: jpg), FileManager.default.fileExists(atPath: ref) else { Issue.record("missing fixture \(jpg)"); return }
        let ours = try ImageDecoder.decode(contentsOf: jpg)
        let pillow = try ImageDecoder.decode(contentsOf: ref)
        #expect(ours.width == 800 && ours.height == 599)
        let d = ImagingFixtures.diff(ours.pixels, pillow.pixels)
        #expect(d.max == 0, "example.jpg: max diff \(d.max), mean \(d.mean), \(d.differing) bytes differ")
    }

    @Test("CMYK JPEG is refused with a clear error")
    func cmyk() {
        let p = ImagingFixtures.path("jpeg/cmyk.jpg")
        #expect(throws: FormatError.self) { try ImageDecoder.decode(contentsOf: p) }
        do { _ = try ImageDecoder.decode(contentsOf: p) } catch let e as FormatError {
            #expect(e.file == p && e.problem.contains("CMYK"))
        } catch { Issue.record("unexpected error \(error)") }
    }

    @Test("oversized headers are refused before decoding", arguments: [("bad/huge.png", "100000x100000"), ("bad/huge.jpg", "65000x65000")])
    func pixelLimit(_ file: String, _ size: String) throws {
        let p = ImagingFixtures.path(file)
        do {
            _ = try ImageDecoder.decode(contentsOf: p)
            Issue.record("\(file) decoded")
        } catch let e as FormatError {
            #expect(e.file == p)
            #expect(e.problem.contains(size), "\(e)")
            #expect(e.problem.contains("limit"), "\(e)")
        }
        let probe = try ImageDecoder.probe(contentsOf: p)
        #expect("\(probe.width)x\(probe.height)" == size)
    }

    @Test("the pixel limit is configurable")
    func configurableLimit() throws {
        let p = ImagingFixtures.path("png/rgb8.png")  // 37x23 = 851 pixels
        #expect(throws: FormatError.self) { try ImageDecoder.decode(contentsOf: p, maxPixels: 850) }
        #expect(try ImageDecoder.decode(contentsOf: p, maxPixels: 851).width == 37)
    }

    @Test("truncated, corrupt and non-image files give a FormatError naming the file",
          arguments: ["bad/truncated.png", "bad/truncated_header.png", "bad/truncated.jpg", "bad/truncated_header.jpg",
                      "bad/bad_ihdr_crc.png", "bad/not_an_image.png", "bad/empty.jpg"])
    func corrupt(_ file: String) {
        let p = ImagingFixtures.path(file)
        do {
            _ = try ImageDecoder.decode(contentsOf: p)
            Issue.record("\(file) decoded without error")
        } catch let e as FormatError {
            #expect(e.file == p)
            #expect(!e.problem.isEmpty && !e.description.contains("\n"))
        } catch {
            Issue.record("\(file): not a FormatError: \(error)")
        }
    }

    @Test("every truncation point of a PNG and a JPEG fails cleanly")
    func everyTruncation() throws {
        for f in ["png/rgb8_interlaced.png", "jpeg/progressive.jpg", "jpeg/s420.jpg"] {
            let all = try #require(ImagingFixtures.bytes(ImagingFixtures.path(f)))
            var decodedPrefixes = 0
            for n in Swift.stride(from: 0, to: all.count - 1, by: max(1, all.count / 97)) {
                do { _ = try ImageDecoder.decode(Array(all[0..<n]), name: f); decodedPrefixes += 1 }
                catch let e as FormatError { #expect(e.file == f) }
            }
            // PNG needs IEND-less but complete IDAT; JPEG may end before EOI once all scans are read.
            #expect(decodedPrefixes <= 2, "\(f): \(decodedPrefixes) truncated prefixes decoded")
        }
    }

    @Test("missing file is a one-line FormatError")
    func missing() {
        let p = ImagingFixtures.path("does/not/exist.png")
        do { _ = try ImageDecoder.decode(contentsOf: p); Issue.record("decoded") } catch let e as FormatError {
            #expect(e.file == p && !e.description.contains("\n"))
        } catch { Issue.record("not a FormatError: \(error)") }
    }

    @Test("format is sniffed from magic bytes, not the extension")
    func sniffing() throws {
        let png = try #require(ImagingFixtures.bytes(ImagingFixtures.path("png/rgb8.png")))
        let img = try ImageDecoder.decode(png, name: "misnamed.jpg")
        #expect(img.width == 37 && img.height == 23)
    }
}
