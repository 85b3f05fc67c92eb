// The k-position matmul: the active path == the scalar path bit for bit, the integer path == its
// definition on the dequantised weights and quantised activations, and the float path == a plain dot
// product. (IsaTests checks every path this CPU has, on extreme inputs too; TranscodeTests the transcoded
// types' integer path.)
import Testing
@testable import TokenloomKernels
import CKernels

/// A seeded xorshift generator: every random draw in the tests goes through it.
struct SeededRandom {
    var state: UInt64
    init(_ seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state }
    mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next() >> 24) }
    mutating func uniform() -> Float { Float(next() >> 40) / Float(1 << 24) }
    mutating func normal() -> Float { (uniform() + uniform() + uniform() + uniform() - 2) * 1.7 }
}

/// Random weights [rows, cols] stored in `type`, with sane scale fields.
func randomWeights(_ type: GGMLType, rows: Int, cols: Int, rng: inout SeededRandom) -> [UInt8] {
    let nb = rows * cols / type.blockSize
    var out: [UInt8] = []
    func h(_ f: Float) -> [UInt8] { let v = Dequantize.floatToFP16(f); return [UInt8(v & 0xff), UInt8(v >> 8)] }
    for _ in 0..<nb {
        var blk = (0..<type.bytesPerBlock).map { _ in rng.byte() }
        switch type {
        case .q4_0, .q8_0, .q5_0, .iq4_NL: blk.replaceSubrange(0..<2, with: h(rng.uniform() * 0.1 - 0.05))
        case .q4_1, .q4_K, .q5_1, .q5_K:
            blk.replaceSubrange(0..<4, with: h(rng.uniform() * 0.05) + h(rng.uniform() * 0.1 - 0.05))
        case .q6_K: blk.replaceSubrange(208..<210, with: h(rng.uniform() * 0.02 - 0.01))
        case .q3_K: blk.replaceSubrange(108..<110, with: h(rng.uniform() * 0.02 - 0.01))
        case .q2_K: blk.replaceSubrange(80..<84, with: h(rng.uniform() * 0.05) + h(rng.uniform() * 0.1 - 0.05))
        case .f16: blk = h(rng.normal() * 0.1)
        case .bf16: let b = (rng.normal() * 0.1).bitPattern >> 16; blk = [UInt8(b & 0xff), UInt8(b >> 8)]
        case .f32: blk = withUnsafeBytes(of: (rng.normal() * 0.1).bitPattern.littleEndian) { Array($0) }
        default: break
        }
        out += blk
    }
    return out
}

@Suite struct MatMulTests {
    static let types: [GGMLType] = [.q4_0, .q4_1, .q8_0, .f32, .f16, .bf16, .q5_0, .q5_1, .iq4_NL,
                                    .q2_K, .q3_K, .q4_K, .q5_K, .q6_K]

    func run(_ type: GGMLType, rows: Int, cols: Int, k: Int, seed: UInt64,
             integerPath: Bool = true) -> (simd: [Float], scalar: [Float], ref: [Double]) {
        var rng = SeededRandom(seed)
        let bytes = randomWeights(type, rows: rows, cols: cols, rng: &rng)
        let a = Activations(k: k, cols: cols)
        for i in 0..<(k * cols) { a.x[i] = rng.normal() }
        var simd = [Float](repeating: .nan, count: k * rows), scalar = simd
        var ref = [Double](repeating: 0, count: k * rows)
        bytes.withUnsafeBytes { buf in
            let w = WeightMatrix(type: type, rows: rows, cols: cols, bytes: buf, integerPath: integerPath)!
            simd.withUnsafeMutableBufferPointer { MatMul.run(w, a, into: $0.baseAddress!, threads: 2) }
            scalar.withUnsafeMutableBufferPointer { MatMul.run(w, a, into: $0.baseAddress!, threads: 1, scalar: true) }
            // Definition: dequantised W against the activations the kernel sees (Q8-rounded for the integer path).
            let wf = Dequantize.floats(type, bytes: bytes, elements: rows * cols)!
            for j in 0..<k {
                for r in 0..<rows {
                    var acc = 0.0
                    for c in 0..<cols {
                        let x: Double = w.usesQ8 ? Double(a.q[j * cols + c]) * Double(a.d[(j * cols + c) / 32]) : Double(a.x[j * cols + c])
                        acc += Double(wf[r * cols + c]) * x
                    }
                    // A transcoded min m_b meets s = fp16(d * sum q) in the kernel (Q4_1's rule, TranscodeTests).
                    if let t = w.transcoded, t.type == Int32(TL_Q8_SM) {
                        for b in 0..<(cols / 32) {
                            let m = Double((t.data + r * t.rowBytes + 44 * b + 8).loadUnaligned(as: Float.self))
                            let jb = j * (cols / 32) + b
                            acc += m * (Double(a.s[jb]) - Double(a.d[jb]) * Double(a.isum[jb]))
                        }
                    }
                    ref[j * rows + r] = acc
                }
            }
        }
        return (simd, scalar, ref)
    }

    @Test(arguments: types) func simdEqualsScalarEqualsDefinition(type: GGMLType) {
        let cols = type.blockSize == 256 ? 512 : 96
        // The transcodable types both ways: the integer path (the default) and the float path.
        for k in [1, 3, 8, 11] {
          for integerPath in tl_q8s_type(Int32(type.rawValue)) != 0 ? [true, false] : [true] {
            let (simd, scalar, ref) = run(type, rows: 13, cols: cols, k: k, seed: UInt64(k) * 31 + UInt64(type.rawValue),
                                          integerPath: integerPath)
            for i in 0..<ref.count {
                let tol = 1e-4 * max(1, abs(ref[i]))
                #expect(simd[i].bitPattern == scalar[i].bitPattern, "\(type.name) k=\(k) [\(i)] simd \(simd[i]) scalar \(scalar[i])")
                // Q4_1's offset term uses s = fp16(d * sum q), as llama.cpp does: allow its rounding.
                let defTol = type == .q4_1 ? 2e-3 * max(1, abs(ref[i])) : tol
                #expect(abs(Double(scalar[i]) - ref[i]) <= defTol, "\(type.name) k=\(k) [\(i)] scalar \(scalar[i]) definition \(ref[i])")
            }
          }
        }
    }

    @Test func quantiseSIMDEqualsScalarBitForBit() {
        var rng = SeededRandom(7)
        let n = 32 * 41
        var x = (0..<n).map { _ in rng.normal() * (rng.uniform() < 0.1 ? 40 : 1) }
        for i in 0..<32 { x[64 + i] = 0 }                      // an all-zero block
        x[100] = 0.5; x[101] = -0.5                             // ties
        let a = Activations(k: 1, cols: n), b = Activations(k: 1, cols: n)
        for i in 0..<n { a.x[i] = x[i]; b.x[i] = x[i] }
        tl_quantize_q8(a.x, Int64(n), a.q, a.d, a.isum, a.s, a.dexp, a.dxs)
        tl_quantize_q8_scalar(b.x, Int64(n), b.q, b.d, b.isum, b.s, b.dexp, b.dxs)
        for i in 0..<n { #expect(a.q[i] == b.q[i], "q[\(i)]") }
        for i in 0..<(n / 32) {
            #expect(a.d[i].bitPattern == b.d[i].bitPattern && a.s[i].bitPattern == b.s[i].bitPattern
                    && a.isum[i] == b.isum[i] && a.dxs[i].bitPattern == b.dxs[i].bitPattern, "block \(i)")
        }
    }

    /// A position's result must not depend on how many positions share the call, nor on the thread
    /// count (k-position forwards == single forwards, and the same logits on any --threads).
    @Test(arguments: [GGMLType.q4_0, .q4_1, .q8_0, .q5_0, .q5_1, .iq4_NL, .q3_K, .q5_K])
    func resultsIndependentOfPositionCountAndThreads(type: GGMLType) {
        var rng = SeededRandom(99 + UInt64(type.rawValue))
        let rows = 301, cols = type.blockSize == 256 ? 768 : 576, k = 19
        let bytes = randomWeights(type, rows: rows, cols: cols, rng: &rng)
        let all = Activations(k: k, cols: cols)
        for i in 0..<(k * cols) { all.x[i] = rng.normal() }
        bytes.withUnsafeBytes { buf in
            let w = WeightMatrix(type: type, rows: rows, cols: cols, bytes: buf)!
            var yAll = [Float](repeating: .nan, count: k * rows)
            yAll.withUnsafeMutableBufferPointer { MatMul.run(w, all, into: $0.baseAddress!, threads: 1) }
            for threads in [2, 3] {
                var y = [Float](repeating: .nan, count: k * rows)
                y.withUnsafeMutableBufferPointer { MatMul.run(w, all, into: $0.baseAddress!, threads: threads) }
                #expect(y.map(\.bitPattern) == yAll.map(\.bitPattern), "\(type.name) threads \(threads)")
            }
            for j in [0, 7, 8, 18] {
                let one = Activations(k: 1, cols: cols)
                for i in 0..<cols { one.x[i] = all.x[j * cols + i] }
                var y = [Float](repeating: .nan, count: rows)
                y.withUnsafeMutableBufferPointer { MatMul.run(w, one, into: $0.baseAddress!, threads: 2) }
                #expect(y.map(\.bitPattern) == Array(yAll[(j * rows)..<((j + 1) * rows)]).map(\.bitPattern),
                        "\(type.name) position \(j)")
            }
        }
    }

    @Test func recordsTheActivePath() {
        // Not an assertion about the machine: records which path the other tests exercised.
        print("MatMul kernel path: \(MatMul.isa.map { "\($0.name): \($0)" } ?? "none (\(MatMul.isaError ?? "?"))")"
              + ", this CPU runs: \(KernelPath.supported.map(\.name).joined(separator: ", "))")
    }

    @Test func quantiseMatchesLlamaCppRule() {
        // amax = 2.54 -> d = 0.02, q = round-half-even(x * 127 / amax)
        var x = [Float](repeating: 0, count: 32)
        x[0] = 2.54; x[1] = -1.27; x[2] = 0.01; x[3] = 0.03
        let a = Activations(k: 1, cols: 32)
        for i in 0..<32 { a.x[i] = x[i] }
        tl_quantize_q8(a.x, 32, a.q, a.d, a.isum, a.s, a.dexp, a.dxs)
        #expect(a.q[0] == 127 && a.q[1] == -64 && a.q[3] == 2)
        #expect(a.q[2] == 0)   // 0.01 * 50 = 0.5 -> ties to even -> 0
        #expect(a.isum[0] == 127 - 64 + 0 + 2)
        #expect(a.d[0] == Dequantize.fp16ToFloat(Dequantize.floatToFP16(2.54 / 127)))
    }
}
