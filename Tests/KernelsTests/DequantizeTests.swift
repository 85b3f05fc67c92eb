// Dequantisation of every supported type: hand-built blocks (the definitions) and real or random
// blocks decoded by the gguf Python package (Fixtures/dequant_gguf.json, Tests/reference/make_dequant_fixture.py).
import Foundation
import Testing
@testable import TokenloomKernels

private func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8)] }
private func half(_ f: Float) -> [UInt8] { le16(Dequantize.floatToFP16(f)) }

@Suite struct DequantizeTests {
    @Test func fp16RoundTripsAndRoundsToEven() {
        #expect(Dequantize.fp16ToFloat(0x3c00) == 1)
        #expect(Dequantize.fp16ToFloat(0xc000) == -2)
        #expect(Dequantize.fp16ToFloat(0x0001) == Float(pow(2.0, -24.0)))   // smallest subnormal
        #expect(Dequantize.fp16ToFloat(0x7bff) == 65504)
        #expect(Dequantize.floatToFP16(1) == 0x3c00)
        #expect(Dequantize.floatToFP16(65520) == 0x7c00)                    // overflows to inf
        // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties go to the even mantissa (1).
        #expect(Dequantize.floatToFP16(1 + Float(pow(2.0, -11.0))) == 0x3c00)
        #expect(Dequantize.floatToFP16(1 + 3 * Float(pow(2.0, -11.0))) == 0x3c02)
        for h in stride(from: 0, to: 0x7c00, by: 7) {                      // every 7th finite half
            let f = Dequantize.fp16ToFloat(UInt16(h))
            #expect(Dequantize.floatToFP16(f) == UInt16(h))
        }
    }

    @Test func q4_0ByHand() throws {
        // d = 0.5; nibble j (low) -> element j, high -> j + 16; x = (q - 8) d
        let qs: [UInt8] = (0..<16).map { UInt8($0) | UInt8(15 - $0) << 4 }
        let v = try #require(Dequantize.floats(.q4_0, bytes: half(0.5) + qs, elements: 32))
        for j in 0..<16 {
            #expect(v[j] == Float(j - 8) * 0.5)
            #expect(v[j + 16] == Float(15 - j - 8) * 0.5)
        }
    }

    @Test func q4_1ByHand() throws {
        let qs: [UInt8] = (0..<16).map { UInt8($0) | 0x30 }
        let v = try #require(Dequantize.floats(.q4_1, bytes: half(0.25) + half(-1) + qs, elements: 32))
        for j in 0..<16 {
            #expect(v[j] == Float(j) * 0.25 - 1)
            #expect(v[j + 16] == 3 * 0.25 - 1)
        }
    }

    @Test func q8_0ByHand() throws {
        let qs: [UInt8] = (0..<32).map { UInt8(bitPattern: Int8($0 * 4 - 64)) }
        let v = try #require(Dequantize.floats(.q8_0, bytes: half(0.125) + qs, elements: 32))
        for j in 0..<32 { #expect(v[j] == Float(j * 4 - 64) * 0.125) }
    }

    @Test func q6_KByHand() throws {
        // All 6-bit values 33 (ql nibble 1, qh bits 2 -> 1 | 2 << 4 = 33), so q - 32 = 1; scales 1..16.
        let ql = [UInt8](repeating: 0x11, count: 128), qh = [UInt8](repeating: 0xAA, count: 64)
        let scales: [UInt8] = (1...16).map { UInt8($0) }
        let v = try #require(Dequantize.floats(.q6_K, bytes: ql + qh + scales + half(0.5), elements: 256))
        // element e: half = e / 128, within it l = e % 32, quarter = (e % 128) / 32, scale index 8 half + l/16 + 2 quarter
        for e in 0..<256 {
            let h = e / 128, l = e % 32, quarter = (e % 128) / 32
            #expect(v[e] == 0.5 * Float(8 * h + l / 16 + 2 * quarter + 1))
        }
    }

    @Test func q4_KByHand() throws {
        // scales j<4: sc = byte j & 63, m = byte j+4 & 63; j>=4 from the packed high bits (left 0 here).
        var scales = [UInt8](repeating: 0, count: 12)
        scales[0] = 2; scales[4] = 3; scales[1] = 5; scales[5] = 1
        scales[8] = 0x21   // j = 4: sc = 1, m = 2
        let qs = [UInt8](repeating: 0x73, count: 128)  // low nibble 3, high 7
        let v = try #require(Dequantize.floats(.q4_K, bytes: half(0.5) + half(0.25) + scales + qs, elements: 256))
        #expect(v[0] == 0.5 * 2 * 3 - 0.25 * 3)        // sub-block 0, low nibbles
        #expect(v[32] == 0.5 * 5 * 7 - 0.25 * 1)       // sub-block 1, high nibbles
        #expect(v[128] == 0.5 * 1 * 3 - 0.25 * 2)      // sub-block 4
    }

    @Test func unsupportedTypeIsNil() {
        #expect(Dequantize.floats(.q5_0, bytes: [UInt8](repeating: 0, count: 22), elements: 32) == nil)
        #expect(Dequantize.floats(.q8_0, bytes: [UInt8](repeating: 0, count: 10), elements: 32) == nil)
    }

    struct Fixture: Decodable {
        struct Case: Decodable { let name: String; let type: String; let elements: Int; let bytes: String; let values: [Float] }
        let cases: [Case]
    }

    @Test func matchesGGUFPythonPackage() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/dequant_gguf.json")
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
        #expect(fixture.cases.count >= 8)
        for c in fixture.cases {
            let type = try #require(GGMLType.allCases.first { $0.name == c.type }, "type \(c.type)")
            var bytes: [UInt8] = []
            var it = c.bytes.makeIterator()
            while let a = it.next(), let b = it.next() { bytes.append(UInt8(String([a, b]), radix: 16)!) }
            let v = try #require(Dequantize.floats(type, bytes: bytes, elements: c.elements), "\(c.name)")
            for i in 0..<c.elements {
                let ref = c.values[i]
                #expect(abs(v[i] - ref) <= 1e-6 * max(1, abs(ref)), "\(c.name)[\(i)]: \(v[i]) vs gguf \(ref)")
            }
        }
    }
}
