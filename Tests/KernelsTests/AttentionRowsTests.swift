// tl_attention_rows_mt (the image model's wide-pass attention): split over (head, block of new
// positions) on any thread count, every row has the bits of tl_attention on one thread, and of the
// row computed alone (a 1-position call after the rows before it).
import Testing
import CKernels
@testable import TokenloomKernels

@Suite struct AttentionRowsTests {
    @Test(arguments: [(0, 1), (20, 16), (37, 80), (200, 16), (3, 29)])
    func rowsHaveTheBitsOfOneThreadAndOfOneRowAlone(shape: (Int, Int)) {
        let (n0, k) = shape, H = 5, hd = 32, d = H * hd
        var rng = SeededRandom(UInt64(n0 * 100 + k))
        let q = (0..<(k * d)).map { _ in rng.normal() }                 // [k, d]
        let K = (0..<((n0 + k) * d)).map { _ in rng.normal() }          // [n0 + k, d]
        let V = (0..<((n0 + k) * d)).map { _ in rng.normal() }          // [n0 + k, d]
        let scale = 1 / Float(hd).squareRoot()
        var want = [Float](repeating: 0, count: k * d)                  // [k, d]
        var scratch = [Float](repeating: 0, count: n0 + k)
        tl_attention(q, K, V, Int64(n0), Int64(k), Int64(H), Int64(H), Int64(hd), scale, &want, &scratch, 0, Int64(H))
        // Row j alone: a 1-position call after n0 + j rows.
        for j in 0..<k {
            var one = [Float](repeating: 0, count: d)
            q.withUnsafeBufferPointer { Q in
                tl_attention(Q.baseAddress! + j * d, K, V, Int64(n0 + j), 1, Int64(H), Int64(H), Int64(hd), scale,
                             &one, &scratch, 0, Int64(H))
            }
            #expect(one.map(\.bitPattern) == want[(j * d)..<((j + 1) * d)].map(\.bitPattern), "row \(j) alone, n0 \(n0), k \(k)")
        }
        for threads in [1, 2, 3] {
            var out = [Float](repeating: .nan, count: k * d)
            tl_attention_rows_mt(q, K, V, Int64(n0), Int64(k), Int64(H), Int64(H), Int64(hd), scale, &out, Int32(threads))
            #expect(out.map(\.bitPattern) == want.map(\.bitPattern), "threads \(threads), n0 \(n0), k \(k)")
        }
    }
}
