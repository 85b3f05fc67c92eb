// The integer path of the transcoded types (Q5_0, Q5_1, IQ4_NL, Q3_K, Q4_K, Q5_K, Q6_K -> TL_Q8_S /
// TL_Q8_SM, transcode_q8s.c): the transcoding is exact, every kernel path gives the scalar bits for
// any k and thread count, the result is its definition on the source's dequantised weights, and the
// checks catch a wrong transcoding (the power checks at the end).
import Foundation
import Testing
@testable import TokenloomKernels
import CKernels

@Suite struct TranscodeTests {
    static let types: [GGMLType] = [.q5_0, .q5_1, .iq4_NL, .q3_K, .q4_K, .q5_K, .q6_K]
    static let paths = KernelPath.supported.filter { $0 != .scalar }

    /// The fixture's blocks of `type` (quantised by the gguf Python package): (bytes, elements).
    static func fixtureBlocks(_ type: GGMLType) throws -> [([UInt8], Int)] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/dequant_gguf.json")
        let fixture = try JSONDecoder().decode(DequantizeTests.Fixture.self, from: Data(contentsOf: url))
        return fixture.cases.filter { $0.type == type.name }.map { c in
            var bytes: [UInt8] = []
            var it = c.bytes.makeIterator()
            while let a = it.next(), let b = it.next() { bytes.append(UInt8(String([a, b]), radix: 16)!) }
            return (bytes, c.elements)
        }
    }

    /// Elements where the transcoded copy, dequantised, differs from tl_dequantize of the source. Bit for
    /// bit, except Q5_0's zeros: its dequantisation adds m = +0, turning -0 into +0 (transcode_q8s.c).
    func roundTripMismatches(_ type: GGMLType, bytes: [UInt8], rows: Int, cols: Int,
                             mutant: TranscodedRows.Mutant = .none) -> [String] {
        let src = Dequantize.floats(type, bytes: bytes, elements: rows * cols)!
        var bad: [String] = []
        bytes.withUnsafeBytes { buf in
            let w = WeightMatrix(type: type, rows: rows, cols: cols, bytes: buf, integerPath: true, mutant: mutant)!
            let t = w.transcoded!
            var out = [Float](repeating: .nan, count: rows * cols)
            for r in 0..<rows {
                #expect(tl_dequantize(t.type, t.data + r * t.rowBytes, &out[r * cols], Int64(cols)) == 0)
            }
            for i in 0..<out.count where out[i].bitPattern != src[i].bitPattern {
                let zeroSign = type == .q5_0 && src[i].bitPattern == 0 && out[i].bitPattern == (-Float(0)).bitPattern
                if !zeroSign { bad.append("\(type.name) [\(i)]: \(out[i]) vs source \(src[i])") }
            }
        }
        return bad
    }

    @Test(arguments: types)
    func transcodingIsExact(type: GGMLType) throws {
        var bad: [String] = []
        let blocks = try Self.fixtureBlocks(type)
        #expect(!blocks.isEmpty, "no fixture case for \(type.name)")
        for (bytes, n) in blocks { bad += roundTripMismatches(type, bytes: bytes, rows: 1, cols: n) }
        var rng = SeededRandom(41 + UInt64(type.rawValue))
        let cols = type.blockSize == 256 ? 1536 : 576
        bad += roundTripMismatches(type, bytes: randomWeights(type, rows: 9, cols: cols, rng: &rng), rows: 9, cols: cols)
        #expect(bad.isEmpty, "\(bad.count) values differ, e.g. \(bad.prefix(3))")
    }

    @Test func typesAndSizes() {
        for t in Self.types { #expect(tl_q8s_type(Int32(t.rawValue)) != 0, "\(t.name)") }
        // Not transcoded: their own integer kernels, Q2_K's min per 16, the float types.
        for t in [GGMLType.q4_0, .q4_1, .q8_0, .q2_K, .f32, .f16, .bf16] { #expect(tl_q8s_type(Int32(t.rawValue)) == 0, "\(t.name)") }
        #expect(tl_q8s_type(Int32(TL_Q4_K)) == Int32(TL_Q8_SM) && tl_q8s_type(Int32(TL_Q6_K)) == Int32(TL_Q8_S))
        #expect(tl_q8s_block_bytes(Int32(TL_Q8_S)) == 40 && tl_q8s_block_bytes(Int32(TL_Q8_SM)) == 44)
        // No file type can name an internal one (GGMLType's raw values are the file's unsigned numbers).
        #expect(GGMLType.allCases.allSatisfy { Int32($0.rawValue) != Int32(TL_Q8_S) && Int32($0.rawValue) != Int32(TL_Q8_SM) })
        var rng = SeededRandom(5)
        let bytes = randomWeights(.q4_K, rows: 2, cols: 512, rng: &rng)
        bytes.withUnsafeBytes { buf in
            let w = WeightMatrix(type: .q4_K, rows: 2, cols: 512, bytes: buf)!
            let f = WeightMatrix(type: .q4_K, rows: 2, cols: 512, bytes: buf, integerPath: false)!
            #expect(w.isTranscoded && w.usesQ8 && w.kernelRowBytes == 16 * 44 && w.rowBytes == 2 * 144)
            #expect(!f.isTranscoded && !f.usesQ8 && f.kernelRowBytes == f.rowBytes)
            // The embedding lookup gives the source's values.
            var row = [Float](repeating: .nan, count: 512)
            w.dequantizeRow(1, into: &row)
            #expect(row.map(\.bitPattern) == Dequantize.floats(.q4_K, bytes: bytes, elements: 1024)![512...].map(\.bitPattern))
        }
    }

    /// y [k, rows] on `path` with 1...3 threads vs the scalar path: values differing in any bit
    /// (IsaTests' comparison, on the transcoded integer path; random blocks for these types).
    func pathMismatches(_ path: KernelPath, _ type: GGMLType, rows: Int, cols: Int, k: Int,
                        xfill: IsaTests.ActFill, seed: UInt64) -> [String] {
        IsaTests().mismatches(path, type, rows: rows, cols: cols, k: k, wfill: .random, xfill: xfill, seed: seed, integerPath: true)
    }

    @Test(arguments: paths, types)
    func everyPathEqualsScalarBitForBit(path: KernelPath, type: GGMLType) {
        var bad: [String] = []
        // 32: one block; 96: a last unpaired block; 576 (18 blocks) and 1536 (48): SmolLM2's rows,
        // past 16 blocks (the m term's tail).
        let colset = type.blockSize == 256 ? [256, 768, 1536] : [32, 96, 576, 1536]
        for cols in colset {
            for k in [1, 3, 8, 9, 16, 17] {
                bad += pathMismatches(path, type, rows: 21, cols: cols, k: k, xfill: .random, seed: UInt64(cols * 100 + k))
            }
            for xf in IsaTests.ActFill.allCases where xf != .random {
                bad += pathMismatches(path, type, rows: 13, cols: cols, k: 9, xfill: xf, seed: UInt64(cols))
            }
        }
        #expect(bad.isEmpty, "\(bad.count) values differ, e.g. \(bad.prefix(3))")
    }

    /// The AVX-512 block-per-lane kernel (Activations.blockKernel, off by default) is for Q4_0 / Q4_1 /
    /// Q8_0 only: with it on, the transcoded types keep the pair kernel's bits, the scalar ones.
    @Test(.enabled(if: KernelPath.avx512.isSupported, "needs AVX-512"), arguments: [GGMLType.q5_0, .q4_K])
    func blockKernelSwitchLeavesTranscodedTypesOnThePairKernel(type: GGMLType) {
        var rng = SeededRandom(13)
        let rows = 37, cols = type.blockSize == 256 ? 1536 : 576, k = 9
        let bytes = randomWeights(type, rows: rows, cols: cols, rng: &rng)
        let a = Activations(k: k, cols: cols)
        for i in 0..<(k * cols) { a.x[i] = rng.normal() }
        a.blockKernel = true
        bytes.withUnsafeBytes { buf in
            let w = WeightMatrix(type: type, rows: rows, cols: cols, bytes: buf, integerPath: true)!
            var y = [Float](repeating: .nan, count: k * rows), ref = y
            y.withUnsafeMutableBufferPointer { MatMul.run(w, a, into: $0.baseAddress!, threads: 2, path: .avx512) }
            ref.withUnsafeMutableBufferPointer { MatMul.run(w, a, into: $0.baseAddress!, threads: 1, path: .scalar) }
            let bad = (0..<y.count).filter { y[$0].bitPattern != ref[$0].bitPattern }
            #expect(bad.isEmpty, "\(type.name): \(bad.count) of \(y.count) values differ from the scalar path's")
        }
    }

    /// Outputs of the integer path (on the active path) that are not their definition: the source's
    /// dequantised weights W against the quantised activations x^ = q_x d_x, the min term with the s_x
    /// = fp16(d_x sum q_x) of the kernel (llama.cpp's Q8_1 rule):
    ///   ref = sum_c W[c] x^[c] + sum_b m_b (s_b - d_b isum_b),   |y - ref| <= 1e-4 max(1, |ref|).
    /// And the integer path against the float path (unquantised x), within what quantising x moves it:
    /// |x^ - x| <= 0.6 d_b per element (half a step plus fp16(d)'s rounding of up to 127 steps), so
    ///   |y - y_float| <= sum_b [0.6 d_b sum_i |W_i - m_b| + |m_b| (|s_b - d_b isum_b| + 19.2 d_b)] + 1e-4 max(1, |y_float|).
    func definitionMismatches(_ type: GGMLType, rows: Int, cols: Int, k: Int, seed: UInt64,
                              mutant: TranscodedRows.Mutant = .none) -> [String] {
        var rng = SeededRandom(seed)
        let bytes = randomWeights(type, rows: rows, cols: cols, rng: &rng)
        let a = Activations(k: k, cols: cols)
        for i in 0..<(k * cols) { a.x[i] = rng.normal() }
        let nb = cols / 32
        let wf = Dequantize.floats(type, bytes: bytes, elements: rows * cols)!
        var bad: [String] = []
        bytes.withUnsafeBytes { buf in
            let w = WeightMatrix(type: type, rows: rows, cols: cols, bytes: buf, integerPath: true, mutant: mutant)!
            let exact = WeightMatrix(type: type, rows: rows, cols: cols, bytes: buf, integerPath: true)!.transcoded!
            let wfloat = WeightMatrix(type: type, rows: rows, cols: cols, bytes: buf, integerPath: false)!
            var y = [Float](repeating: .nan, count: k * rows), yf = y
            y.withUnsafeMutableBufferPointer { MatMul.run(w, a, into: $0.baseAddress!, threads: 2) }
            yf.withUnsafeMutableBufferPointer { MatMul.run(wfloat, a, into: $0.baseAddress!, threads: 2) }
            // m per block from the exact transcoding (0 for TL_Q8_S).
            func m(_ r: Int, _ b: Int) -> Double {
                exact.type != Int32(TL_Q8_SM) ? 0
                    : Double((exact.data + r * exact.rowBytes + b * 44 + 8).loadUnaligned(as: Float.self))
            }
            for j in 0..<k {
                for r in 0..<rows {
                    var ref = 0.0, bound = 0.0
                    for b in 0..<nb {
                        let d = Double(a.d[j * nb + b]), mb = m(r, b), sErr = Double(a.s[j * nb + b]) - d * Double(a.isum[j * nb + b])
                        var absW = 0.0
                        for i in 0..<32 {
                            let c = 32 * b + i, wv = Double(wf[r * cols + c])
                            ref += wv * Double(a.q[j * cols + c]) * d
                            absW += abs(wv - mb)
                        }
                        ref += mb * sErr
                        bound += 0.6 * d * absW + abs(mb) * (abs(sErr) + 19.2 * d)
                    }
                    let got = Double(y[j * rows + r]), fl = Double(yf[j * rows + r])
                    if abs(got - ref) > 1e-4 * max(1, abs(ref)) {
                        bad.append("\(type.name) k=\(k) [\(j), \(r)]: \(got) vs definition \(ref)")
                    }
                    if abs(got - fl) > bound + 1e-4 * max(1, abs(fl)) {
                        bad.append("\(type.name) k=\(k) [\(j), \(r)]: \(got) vs float path \(fl), bound \(bound)")
                    }
                }
            }
        }
        return bad
    }

    @Test(arguments: types)
    func integerPathIsItsDefinition(type: GGMLType) {
        var bad: [String] = []
        for (cols, k) in [(type.blockSize == 256 ? 512 : 96, 1), (type.blockSize == 256 ? 1536 : 576, 3), (1536, 11)] {
            bad += definitionMismatches(type, rows: 13, cols: cols, k: k, seed: UInt64(cols + k) * 7 + UInt64(type.rawValue))
        }
        #expect(bad.isEmpty, "\(bad.count) outputs off, e.g. \(bad.prefix(3))")
    }

    /// Power: a transcoding with d_lo in both halves (Q6_K, Q3_K: different scales per 16) or without
    /// the min (Q5_1, Q4_K, Q5_K) fails both the round trip and the definition.
    @Test(arguments: [(GGMLType.q6_K, TranscodedRows.Mutant.dLoForBothHalves), (.q3_K, .dLoForBothHalves),
                      (.q5_1, .minDropped), (.q4_K, .minDropped), (.q5_K, .minDropped)])
    func wrongTranscodingsAreCaught(type: GGMLType, mutant: TranscodedRows.Mutant) {
        var rng = SeededRandom(77)
        let cols = type.blockSize == 256 ? 512 : 96
        let bytes = randomWeights(type, rows: 5, cols: cols, rng: &rng)
        #expect(roundTripMismatches(type, bytes: bytes, rows: 5, cols: cols).isEmpty)
        #expect(!roundTripMismatches(type, bytes: bytes, rows: 5, cols: cols, mutant: mutant).isEmpty, "\(type.name) \(mutant): round trip")
        let wrong = definitionMismatches(type, rows: 13, cols: cols, k: 3, seed: 9, mutant: mutant)
        #expect(!wrong.isEmpty, "\(type.name) \(mutant): definition")
        print("power check \(type.name) \(mutant): \(wrong.count) of 78 checks fail (39 outputs: definition, float-path bound), e.g. \(wrong.prefix(1))")
    }
}
