// tl_attention_rows_mt (the image model's wide-pass attention): split over (head, block of new
// positions) on any thread count, every row has the bits of the row computed alone (a 1-position call
// after the rows before it) and of one thread, with either softmax (libm's expf: tl_attention's bits;
// the polynomial one), and the polynomial softmax's output is close to a float64 reference.
import Foundation
import Testing
import CKernels
@testable import TokenloomKernels

@Suite struct AttentionRowsTests {
    static let H = 5, hd = 32, d = H * hd

    /// Random q [k, d] and K, V [n0 + k, d].
    func operands(n0: Int, k: Int) -> (q: [Float], K: [Float], V: [Float]) {
        var rng = SeededRandom(UInt64(n0 * 100 + k))
        let d = Self.d
        return ((0..<(k * d)).map { _ in rng.normal() }, (0..<((n0 + k) * d)).map { _ in rng.normal() },
                (0..<((n0 + k) * d)).map { _ in rng.normal() })
    }

    func rows(_ q: [Float], _ K: [Float], _ V: [Float], n0: Int, k: Int, threads: Int, poly: Int32) -> [Float] {
        var out = [Float](repeating: .nan, count: k * Self.d)   // [k, d]
        tl_attention_rows_mt(q, K, V, Int64(n0), Int64(k), Int64(Self.H), Int64(Self.H), Int64(Self.hd),
                             1 / Float(Self.hd).squareRoot(), &out, Int32(threads), poly)
        return out
    }

    @Test(arguments: [(0, 1), (20, 16), (37, 80), (200, 16), (3, 29)])
    func rowsHaveTheBitsOfOneRowAloneOnAnyThreads(shape: (Int, Int)) {
        let (n0, k) = shape, d = Self.d
        let (q, K, V) = operands(n0: n0, k: k)
        for poly: Int32 in [0, 1] {
            var want = [Float](repeating: 0, count: k * d)
            for j in 0..<k {   // row j alone: a 1-position call after n0 + j rows
                let one = rows(Array(q[(j * d)..<((j + 1) * d)]), K, V, n0: n0 + j, k: 1, threads: 1, poly: poly)
                want.replaceSubrange((j * d)..<((j + 1) * d), with: one)
            }
            if poly == 0 {   // tl_attention's own bits
                var ref = [Float](repeating: 0, count: k * d), scratch = [Float](repeating: 0, count: n0 + k)
                tl_attention(q, K, V, Int64(n0), Int64(k), Int64(Self.H), Int64(Self.H), Int64(Self.hd),
                             1 / Float(Self.hd).squareRoot(), &ref, &scratch, 0, Int64(Self.H))
                #expect(ref.map(\.bitPattern) == want.map(\.bitPattern), "tl_attention, n0 \(n0), k \(k)")
            }
            for threads in [1, 2, 3] {
                let out = rows(q, K, V, n0: n0, k: k, threads: threads, poly: poly)
                #expect(out.map(\.bitPattern) == want.map(\.bitPattern), "poly \(poly), threads \(threads), n0 \(n0), k \(k)")
            }
        }
    }

    /// The polynomial softmax's rows against float64 attention: within 1e-6 of max |V| (scores, e^x
    /// within 2 ulp, float lane sums of at most a few hundred terms: a few 1e-7 relative).
    @Test func polySoftmaxIsCloseToFloat64() {
        let n0 = 150, k = 16, d = Self.d, hd = Self.hd
        let (q, K, V) = operands(n0: n0, k: k)
        let out = rows(q, K, V, n0: n0, k: k, threads: 1, poly: 1)
        let vmax = Double(V.map { abs($0) }.max()!)
        var worst = 0.0
        for j in 0..<k {
            for h in 0..<Self.H {
                let T = n0 + j + 1
                let s = (0..<T).map { t in
                    (0..<hd).reduce(0.0) { $0 + Double(q[j * d + h * hd + $1]) * Double(K[t * d + h * hd + $1]) } / Double(hd).squareRoot()
                }
                let mx = s.max()!, e = s.map { Foundation.exp($0 - mx) }, z = e.reduce(0, +)
                for c in 0..<hd {
                    let exact = (0..<T).reduce(0.0) { $0 + e[$1] / z * Double(V[$1 * d + h * hd + c]) }
                    let err = abs(Double(out[j * d + h * hd + c]) - exact)
                    #expect(err <= 1e-6 * vmax, "row \(j) head \(h) lane \(c): \(out[j * d + h * hd + c]) vs \(exact)")
                    worst = max(worst, err / vmax)
                }
            }
        }
        print("attention (poly softmax): worst |out - exact| / max|V| = \(worst) (bound 1e-6)")
    }
}
