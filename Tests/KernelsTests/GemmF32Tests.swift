// The batched F32 GEMM (tl_gemm_f32, the image model's matmul): every position's result has the same
// bits whatever k, whichever positions share the call, on any thread count and any instruction set,
// and those bits are the stated definition (one fused multiply-add chain over n, in order), which is
// within n u sum|x w| of the float64 product.
import Testing
@testable import TokenloomKernels

@Suite struct GemmF32Tests {
    /// Random x [k, n] and W [m, n], some values exactly 0 and of mixed sign and scale.
    func operands(k: Int, n: Int, m: Int, seed: UInt64) -> (x: [Float], w: [Float]) {
        var rng = SeededRandom(seed)
        let x = (0..<(k * n)).map { _ in rng.uniform() < 0.05 ? 0 : rng.normal() * (rng.uniform() < 0.1 ? 30 : 1) }
        let w = (0..<(m * n)).map { _ in rng.normal() * 0.1 }
        return (x, w)
    }

    /// The definition: y[j, o] = fma(x[j, n-1], W[o, n-1], ... fma(x[j, 0], W[o, 0], +0)).
    func chain(_ x: [Float], _ w: [Float], j: Int, o: Int, n: Int) -> Float {
        var acc: Float = 0
        for i in 0..<n { acc = acc.addingProduct(x[j * n + i], w[o * n + i]) }
        return acc
    }

    static let impls = PackedF32Matrix.Impl.allCases

    /// Shapes: the image model's (160 -> 160, 160 -> 640, 640 -> 160), a matrix whose last panel is
    /// partial, and one narrower than a panel.
    @Test(arguments: [(160, 160), (640, 160), (160, 640), (75, 33), (13, 7)])
    func equalsTheFMAChainForEveryKThreadsAndImpl(shape: (Int, Int)) {
        let (m, n) = shape, kMax = 29
        let (x, w) = operands(k: kMax, n: n, m: m, seed: UInt64(m * 1000 + n))
        let W = PackedF32Matrix(w, rows: m, cols: n)
        var expected = [UInt32](repeating: 0, count: kMax * m)
        for j in 0..<kMax { for o in 0..<m { expected[j * m + o] = chain(x, w, j: j, o: o, n: n).bitPattern } }
        for impl in Self.impls where impl.isAvailable {
            for threads in [1, 2, 3] {
                // Every k from 1 to kMax on the first positions, then windows starting elsewhere, so each
                // position is computed in many different tiles (alone, at a tile's start, middle, end).
                var windows = (1...kMax).map { (0, $0) }
                windows += [(5, 1), (7, 12), (11, 13), (17, 12), (28, 1), (3, 26)]
                for (j0, k) in windows {
                    let y = W.multiply(Array(x[(j0 * n)..<((j0 + k) * n)]), k: k, threads: threads, impl: impl)
                    let want = Array(expected[(j0 * m)..<((j0 + k) * m)])
                    if y.map(\.bitPattern) != want {
                        let bad = zip(y.map(\.bitPattern), want).enumerated().first { $0.element.0 != $0.element.1 }!.offset
                        let what = "[\(m), \(n)] \(impl) threads \(threads) positions \(j0)..<\(j0 + k): "
                            + "y[\(bad / m + j0), \(bad % m)] = \(y[bad]), the chain gives \(Float(bitPattern: want[bad]))"
                        Issue.record(Comment(rawValue: what))
                        return
                    }
                }
            }
        }
    }

    /// Close to the exact product: an FMA chain of n terms is within gamma_n sum_i |x_i w_i| of it
    /// (gamma_n = n u / (1 - n u), u = 2^-24; Higham, Accuracy and Stability, 3.1).
    @Test func withinTheChainsErrorBoundOfFloat64() {
        let m = 160, n = 640, k = 16
        let (x, w) = operands(k: k, n: n, m: m, seed: 5)
        let y = PackedF32Matrix(w, rows: m, cols: n).multiply(x, k: k)
        let u = 0x1p-24, gamma = Double(n) * u / (1 - Double(n) * u)
        var worst = 0.0
        for j in 0..<k {
            for o in 0..<m {
                var exact = 0.0, mag = 0.0
                for i in 0..<n {
                    exact += Double(x[j * n + i]) * Double(w[o * n + i]); mag += abs(Double(x[j * n + i]) * Double(w[o * n + i]))
                }
                let err = abs(Double(y[j * m + o]) - exact)
                #expect(err <= gamma * mag, "y[\(j), \(o)] = \(y[j * m + o]), exact \(exact), bound \(gamma * mag)")
                worst = max(worst, err / max(mag, 1e-30))
            }
        }
        print("GEMM F32: worst |y - exact| / sum|x w| = \(worst) (bound \(gamma))")
    }

    @Test func scalarPathIsAlwaysAvailable() {
        #expect(PackedF32Matrix.Impl.scalar.isAvailable && PackedF32Matrix.Impl.best.isAvailable)
        print("GEMM F32 paths here: " + Self.impls.filter(\.isAvailable).map { "\($0)" }.joined(separator: ", "))
    }
}
