import Foundation
import Testing
@testable import Preprocessing
import TensorFormats

/// Image numbers: a 1×64,000,000 PNG (under the 64 MP cap) is refused before decoding, since its
/// side is past the limit; processor settings (mean/std with < 3 values, 10⁶ crops, huge
/// pinpoints) are errors, not index traps or huge allocations.
@Suite struct HostileImageTests {
    /// A PNG signature and IHDR chunk declaring `width`×`height` RGB (the decoder reads the size first).
    static func pngHeader(width: UInt32, height: UInt32) -> [UInt8] {
        func be(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
        let body = Array("IHDR".utf8) + be(width) + be(height) + [8, 2, 0, 0, 0]
        var crc: UInt32 = 0xFFFF_FFFF
        for b in body {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = (crc >> 1) ^ (crc & 1 == 1 ? 0xEDB8_8320 : 0) }
        }
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + be(13) + body + be(~crc)
    }

    @Test(arguments: [(UInt32(1), UInt32(64_000_000)), (64_000_000, 1), (70_000, 900)])
    func extremeAspectRatioIsRefusedBeforeDecoding(width: UInt32, height: UInt32) throws {
        #expect { try ImageDecoder.decode(Self.pngHeader(width: width, height: height), name: "wide.png") } throws: {
            "\($0)" == "wide.png: image is \(width)x\(height) pixels, a side above the limit of 65535; refusing to decode"
        }
    }

    @Test func meanAndStdWithFewerThanThreeValuesAreErrors() throws {
        let image = RGBImage(width: 8, height: 8, fill: (10, 20, 30))
        #expect { try Phi3VImageProcessor(numCrops: 1, mean: [0.5, 0.5], std: [0.5, 0.5, 0.5]).process(image) } throws: {
            "\($0)".contains("image_mean [0.5, 0.5] / image_std [0.5, 0.5, 0.5] must be 3 finite values each")
        }
        #expect(throws: PreprocessingError.self) { try LlavaNextImageProcessor(pinpoints: [(336, 336)], mean: [0.5, 0.5, 0.5], std: []).process(image) }
    }

    @Test func millionCropsAreRefused() throws {
        #expect { try Phi3VHDGeometry(width: 100, height: 100, numCrops: 1_000_000) } throws: {
            "\($0)" == "num_crops must be within 1…64, got 1000000"
        }
        #expect(throws: PreprocessingError.self) { try Phi3VHDGeometry(width: 100, height: 100, numCrops: Int.max) }
    }

    @Test func hugePinpointsAreRefused() throws {
        #expect { try LlavaNextGeometry(height: 10, width: 10, pinpoints: [(1 << 40, 1 << 40)]) } throws: {
            "\($0)" == "image_grid_pinpoints entry [1099511627776, 1099511627776] must be positive multiples of 336 with at most 64 tiles"
        }
        #expect(throws: PreprocessingError.self) { try LlavaNextGeometry(height: 10, width: 10, pinpoints: Array(repeating: (336, 336), count: 65)) }
        // The 1×64,000,000 shape within valid pinpoints has bounded patches and tokens.
        let g = try? LlavaNextGeometry(height: 1, width: 64_000_000, pinpoints: [(336, 672), (672, 336), (672, 672), (1008, 336), (336, 1008)])
        #expect((g?.patchCount ?? 99) <= 1 + InputLimits.maxPinpointTiles)
    }
}
