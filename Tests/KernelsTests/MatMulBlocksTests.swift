// The block-per-lane integer kernel (matmul_q8_blocks.c; Activations.blockKernel), which takes rows of
// 512 columns or more: its activation layout is the one the header states, it stays within the pair
// tests' tolerance of the scalar reference and of the definition, and a position's bits do not depend
// on k or threads. The
// shapes cover whole groups of 16 blocks alone (512, 1024), with pairs after them (576: 18 blocks) and
// with an odd block after them (1056: 33 blocks).
import Testing
@testable import TokenloomKernels
import CKernels

@Suite struct MatMulBlocksTests {
    static let types: [GGMLType] = [.q4_0, .q4_1, .q8_0]

    @Test func blockLanesLayoutIsTheStatedOne() {
        var rng = SeededRandom(3)
        let k = 11, cols = 1056, nb = cols / 32, ng = nb / 16
        let a = Activations(k: k, cols: cols)
        a.blockKernel = true
        for i in 0..<(k * cols) { a.x[i] = rng.normal() }
        a.prepare(forQ8: true)
        func blk(_ L: Int) -> Int { 4 * (L % 4) + L / 4 }
        var bad = 0
        for j in 0..<16 {   // positions 11 ..< 16 are padding: zero
            for g in 0..<ng {
                let at = ((j / 8) * ng + g) * 8 + j % 8
                for L in 0..<16 {
                    let b = 16 * g + blk(L)
                    for v in 0..<8 { for e in 0..<4 {
                        let q = j < k ? a.q[j * cols + 32 * b + 4 * v + e] : 0
                        if a.bt[at * 512 + v * 64 + 4 * L + e] != UInt8(bitPattern: q) { bad += 1 }
                        if j < k && a.btu[at * 512 + v * 64 + 4 * L + e] != UInt8(bitPattern: q) ^ 0x80 { bad += 1 }
                    } }
                    if a.bd[at * 16 + L] != (j < k ? a.d[j * nb + b] : 0) { bad += 1 }
                    if a.bz[at * 16 + L] != (j < k ? -8 * a.isum[j * nb + b] : 0) { bad += 1 }
                }
            }
        }
        #expect(bad == 0, "\(bad) values differ from the stated layout")
    }

    /// The switch is real: on a CPU with the AVX-512 path the two kernels' bits differ somewhere
    /// (MatMulTests.run takes the default kernel: the pair kernel unless TOKENLOOM_Q8_KERNEL=blocks).
    @Test func theBlockKernelIsTheOneThatRuns() {
        guard MatMul.simdAvailable, !Activations.blockKernelDefault else { return }
        let (blocks, _, _) = run(.q4_1, rows: 37, cols: 1056, k: 8, seed: 9)
        let (pairs, _, _) = MatMulTests().run(.q4_1, rows: 37, cols: 1056, k: 8, seed: 9)
        #expect(blocks.map(\.bitPattern) != pairs.map(\.bitPattern))
    }

    /// MatMulTests.run with the block kernel: (block kernel, scalar reference, definition in Double).
    func run(_ type: GGMLType, rows: Int, cols: Int, k: Int, seed: UInt64) -> (simd: [Float], scalar: [Float], ref: [Double]) {
        var rng = SeededRandom(seed)
        let bytes = randomWeights(type, rows: rows, cols: cols, rng: &rng)
        let a = Activations(k: k, cols: cols)
        a.blockKernel = true
        for i in 0..<(k * cols) { a.x[i] = rng.normal() }
        var simd = [Float](repeating: .nan, count: k * rows), scalar = simd
        var ref = [Double](repeating: 0, count: k * rows)
        bytes.withUnsafeBytes { buf in
            let w = WeightMatrix(type: type, rows: rows, cols: cols, bytes: buf)!
            simd.withUnsafeMutableBufferPointer { MatMul.run(w, a, into: $0.baseAddress!, threads: 2) }
            scalar.withUnsafeMutableBufferPointer { MatMul.run(w, a, into: $0.baseAddress!, threads: 1, scalar: true) }
            let wf = Dequantize.floats(type, bytes: bytes, elements: rows * cols)!
            for j in 0..<k {
                for r in 0..<rows {
                    var acc = 0.0
                    for c in 0..<cols { acc += Double(wf[r * cols + c]) * Double(a.q[j * cols + c]) * Double(a.d[(j * cols + c) / 32]) }
                    ref[j * rows + r] = acc
                }
            }
        }
        return (simd, scalar, ref)
    }

    @Test(arguments: types) func simdEqualsScalarEqualsDefinition(type: GGMLType) {
        for cols in [512, 576, 1056] {
            for k in [1, 8, 13] {
                let (simd, scalar, ref) = run(type, rows: 37, cols: cols, k: k, seed: UInt64(cols * 7 + k) + UInt64(type.rawValue))
                for i in 0..<ref.count {
                    let tol = 1e-4 * max(1, abs(ref[i]))
                    #expect(abs(Double(simd[i]) - Double(scalar[i])) <= tol, "\(type.name) cols \(cols) k=\(k) [\(i)] simd \(simd[i]) scalar \(scalar[i])")
                    let defTol = type == .q4_1 ? 2e-3 * max(1, abs(ref[i])) : tol
                    #expect(abs(Double(scalar[i]) - ref[i]) <= defTol, "\(type.name) cols \(cols) k=\(k) [\(i)] scalar \(scalar[i]) definition \(ref[i])")
                }
            }
        }
    }

    /// As MatMulTests' test of the same name, on rows long enough for whole groups of 16 blocks.
    @Test(arguments: types) func resultsIndependentOfPositionCountAndThreads(type: GGMLType) {
        var rng = SeededRandom(77 + UInt64(type.rawValue))
        let rows = 203, cols = 1056, k = 21
        let bytes = randomWeights(type, rows: rows, cols: cols, rng: &rng)
        let all = Activations(k: k, cols: cols)
        all.blockKernel = true
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
            // Alone (J = 1), and as position 2 of a window of 3 (J = 3), against the k = 21 call (J = 8, 8, 5).
            for j in [0, 5, 8, 15, 16, 20] {
                for (start, n) in [(j, 1), (max(0, j - 2), 3)] {
                    let part = Activations(k: n, cols: cols)
                    part.blockKernel = true
                    for i in 0..<(n * cols) { part.x[i] = all.x[start * cols + i] }
                    var y = [Float](repeating: .nan, count: n * rows)
                    y.withUnsafeMutableBufferPointer { MatMul.run(w, part, into: $0.baseAddress!, threads: 2) }
                    let row = j - start
                    #expect(Array(y[(row * rows)..<((row + 1) * rows)]).map(\.bitPattern)
                            == Array(yAll[(j * rows)..<((j + 1) * rows)]).map(\.bitPattern),
                            "\(type.name) position \(j) in a call of \(n)")
                }
            }
        }
    }
}
