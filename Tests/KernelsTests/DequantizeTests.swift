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

    @Test func q5_0AndQ5_1ByHand() throws {
        // Element e < 16 is the low nibble of qs[e], e >= 16 the high nibble of qs[e - 16]; its fifth
        // bit is bit e of the little-endian 32-bit qh. Q5_0: x = (q - 16) d; Q5_1: x = q d + m.
        let qs: [UInt8] = (0..<16).map { UInt8($0) | UInt8(15 - $0) << 4 }
        let qh: UInt32 = 0x8000_0421                      // elements 0, 5, 10 and 31
        let qhBytes: [UInt8] = (0..<4).map { UInt8(truncatingIfNeeded: qh >> (8 * $0)) }
        let v0 = try #require(Dequantize.floats(.q5_0, bytes: half(0.5) + qhBytes + qs, elements: 32))
        let v1 = try #require(Dequantize.floats(.q5_1, bytes: half(0.25) + half(-1) + qhBytes + qs, elements: 32))
        for e in 0..<32 {
            let q = (e < 16 ? e : 31 - e) + 16 * Int((qh >> e) & 1)
            #expect(v0[e] == Float(q - 16) * 0.5, "Q5_0 [\(e)]")
            #expect(v1[e] == Float(q) * 0.25 - 1, "Q5_1 [\(e)]")
        }
    }

    @Test func iq4_NLByHand() throws {
        // The nibble indexes ggml's fixed non-linear table; nibble order as Q4_0.
        let table: [Float] = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113]
        let qs: [UInt8] = (0..<16).map { UInt8($0) | UInt8(15 - $0) << 4 }
        let v = try #require(Dequantize.floats(.iq4_NL, bytes: half(0.5) + qs, elements: 32))
        for j in 0..<16 {
            #expect(v[j] == table[j] * 0.5)
            #expect(v[j + 16] == table[15 - j] * 0.5)
        }
    }

    @Test func q5_KByHand() throws {
        // Q4_K's scales and nibbles, plus a fifth bit: bit (e / 32) of qh[e % 32].
        var scales = [UInt8](repeating: 0, count: 12)
        scales[0] = 2; scales[4] = 3; scales[1] = 5; scales[5] = 1
        scales[8] = 0x21   // sub-block 4: sc = 1, m = 2
        var qh = [UInt8](repeating: 0, count: 32)
        qh[0] = 0x01; qh[1] = 0x02; qh[2] = 0x10       // elements 0, 33 and 130
        let qs = [UInt8](repeating: 0x73, count: 128)  // low nibble 3, high 7
        let v = try #require(Dequantize.floats(.q5_K, bytes: half(0.5) + half(0.25) + scales + qh + qs, elements: 256))
        #expect(v[0] == 0.5 * 2 * 19 - 0.25 * 3)       // sub-block 0, 3 + 16
        #expect(v[1] == 0.5 * 2 * 3 - 0.25 * 3)
        #expect(v[33] == 0.5 * 5 * 23 - 0.25 * 1)      // sub-block 1, high nibble 7 + 16
        #expect(v[32] == 0.5 * 5 * 7 - 0.25 * 1)
        #expect(v[130] == 0.5 * 1 * 19 - 0.25 * 2)     // sub-block 4
        #expect(v[129] == 0.5 * 1 * 3 - 0.25 * 2)
    }

    @Test func q2_KByHand() throws {
        // Element e = 128 h + 32 s + l is bits 2s of qs[32 h + l]; sub-block e / 16 has
        // scale = low nibble, min = high nibble of scales[e / 16]; x = d sc q - dmin m.
        let scales: [UInt8] = (0..<16).map { UInt8($0) | UInt8(15 - $0) << 4 }
        let qs: [UInt8] = (0..<64).map { 0xE4 | UInt8($0 % 4) }   // pair s holds s, except pair 0 holds the byte index % 4
        let v = try #require(Dequantize.floats(.q2_K, bytes: scales + qs + half(0.5) + half(0.25), elements: 256))
        for e in 0..<256 {
            let h = e / 128, s = (e % 128) / 32, l = e % 32, sub = e / 16
            let q = s == 0 ? (32 * h + l) % 4 : s
            #expect(v[e] == 0.5 * Float(sub) * Float(q) - 0.25 * Float(15 - sub), "[\(e)]")
        }
    }

    @Test func q3_KByHand() throws {
        // Signed 6-bit scales packed as 16 low nibbles (bytes 0-7, low nibbles first) and 16 pairs of
        // high bits (scale i: byte 8 + i % 4, bits 2 (i / 4)); x = d (scale - 32) (q - 4 when the
        // hmask bit 4h + s of hmask[l] is clear).
        let wanted: [Int] = (0..<16).map { ($0 * 23) % 64 - 32 }
        var sp = [UInt8](repeating: 0, count: 12)
        for (i, sc) in wanted.enumerated() {
            let u = UInt8(sc + 32)
            if i < 8 { sp[i] |= u & 0xF } else { sp[i - 8] |= (u & 0xF) << 4 }
            sp[8 + i % 4] |= (u >> 4) << (2 * (i / 4))
        }
        let hmask: [UInt8] = (0..<32).map { UInt8(truncatingIfNeeded: 0xA5 &+ 37 * $0) }
        let qs: [UInt8] = (0..<64).map { UInt8(truncatingIfNeeded: 0x1B &+ 71 * $0) }
        let v = try #require(Dequantize.floats(.q3_K, bytes: hmask + qs + sp + half(0.5), elements: 256))
        for e in 0..<256 {
            let h = e / 128, s = (e % 128) / 32, l = e % 32
            let q = Int((qs[32 * h + l] >> (2 * s)) & 3) - ((hmask[l] >> (4 * h + s)) & 1 == 1 ? 0 : 4)
            #expect(v[e] == 0.5 * Float(wanted[e / 16]) * Float(q), "[\(e)]")
        }
    }

    @Test func unsupportedTypeIsNil() {
        #expect(Dequantize.floats(.q8_K, bytes: [UInt8](repeating: 0, count: 292), elements: 256) == nil)
        #expect(Dequantize.floats(.q8_0, bytes: [UInt8](repeating: 0, count: 10), elements: 32) == nil)
        #expect(Dequantize.floats(.q5_K, bytes: [UInt8](repeating: 0, count: 175), elements: 256) == nil)
    }

    struct Fixture: Decodable {
        struct Case: Decodable { let name: String; let type: String; let elements: Int; let bytes: String; let values: [Float] }
        let cases: [Case]
    }

    @Test func matchesGGUFPythonPackage() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/dequant_gguf.json")
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
        // Every supported type has a case decoded by gguf.
        let covered = Set(fixture.cases.map(\.type))
        for t in WeightMatrix.supportedTypes { #expect(covered.contains(t.name), "no gguf case for \(t.name)") }
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
