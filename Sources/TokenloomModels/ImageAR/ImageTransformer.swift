// ImageTransformer: the F32 math of the image model's transformer blocks (text encoder and image
// decoder): RMSNorm, row-major matmul, multi-head attention over a key prefix, SiLU MLP.
// At d = 160 a position costs about 2.5M multiply-adds. The matmuls of a k-position pass run in one
// batched GEMM (tl_gemm_f32: each weight read once for all k rows) and causal attention in
// tl_attention, so a k-position pass costs far less than k one-position passes. Both give a row the
// same bits whatever k is, so greedy Jacobi equals greedy AR exactly. SiLU and the softmax's e^x are
// one polynomial (exp_poly.h), vectorised. Passes of 8 or more positions split the GEMMs and attention
// over the model's thread budget; no bit depends on the split.
// TOKENLOOM_IMAGE_KERNELS=swift selects the former plain Swift loops (for before/after benchmarks).
#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif
import CKernels
import TokenloomKernels

enum ImageMath {
    /// The former plain Swift loops instead of the C kernels (TOKENLOOM_IMAGE_KERNELS=swift).
    static let swiftLoops: Bool = getenv("TOKENLOOM_IMAGE_KERNELS").map { String(cString: $0) == "swift" } ?? false

    /// y = x W^T for x [k, n] and W [m, n] (rows of n): y [k, m]. Packs W for this call: for matrices
    /// used once (the condition); the forward's matrices keep their packing (the overload below).
    static func matmul(_ x: [Float], _ w: [Float], k: Int, n: Int, m: Int) -> [Float] {
        if swiftLoops || k == 0 { return matmulLoop(x, w, k: k, n: n, m: m) }
        return PackedF32Matrix(w, rows: m, cols: n).multiply(x, k: k)
    }

    /// y = x W^T for x [k, n] and W [m, n] packed in `packs` slot `slot`: y [k, m]. Up to `threads`
    /// threads (the GEMM takes more than one only where the product is large enough to pay).
    static func matmul(_ x: [Float], _ w: [Float], packs: ImagePacks, slot: Int, k: Int, n: Int, m: Int,
                       threads: Int = 1) -> [Float] {
        if swiftLoops || k == 0 { return matmulLoop(x, w, k: k, n: n, m: m) }
        return packs.get(slot, w, rows: m, cols: n).multiply(x, k: k, threads: threads)
    }

    /// The former Swift matmul: SIMD8 partial sums over n, a weight row re-read for every position.
    static func matmulLoop(_ x: [Float], _ w: [Float], k: Int, n: Int, m: Int) -> [Float] {
        var y = [Float](repeating: 0, count: k * m)
        x.withUnsafeBufferPointer { X in
            w.withUnsafeBufferPointer { W in
                y.withUnsafeMutableBufferPointer { Y in
                    for i in 0..<k {
                        let xi = X.baseAddress! + i * n
                        let n8 = n & ~7
                        for o in 0..<m {
                            let wo = W.baseAddress! + o * n
                            var acc = SIMD8<Float>(repeating: 0)         // 8 partial sums
                            var j = 0
                            while j < n8 {
                                let xv = UnsafeRawPointer(xi + j).loadUnaligned(as: SIMD8<Float>.self)
                                let wv = UnsafeRawPointer(wo + j).loadUnaligned(as: SIMD8<Float>.self)
                                acc += xv * wv
                                j += 8
                            }
                            var s = acc.sum()
                            while j < n { s += xi[j] * wo[j]; j += 1 }
                            Y[i * m + o] = s
                        }
                    }
                }
            }
        }
        return y
    }

    /// Row-wise RMSNorm of x [k, n] times w [n] (w nil: no weight). The sum of squares runs in the
    /// order of j on one accumulator, so a row's bits depend on that row alone.
    static func rmsNorm(_ x: [Float], _ w: [Float]?, k: Int, n: Int, eps: Float) -> [Float] {
        precondition(x.count >= k * n && (w == nil || w!.count >= n), "ImageMath.rmsNorm: [\(k), \(n)]")
        let ones = w == nil ? [Float](repeating: 1, count: n) : []
        return [Float](unsafeUninitializedCapacity: k * n) { Y, count in
            x.withUnsafeBufferPointer { X in
                (w ?? ones).withUnsafeBufferPointer { W in
                    for i in 0..<k {
                        let xi = X.baseAddress! + i * n, yi = Y.baseAddress! + i * n
                        var ss: Float = 0
                        for j in 0..<n { ss += xi[j] * xi[j] }
                        let r = 1 / (ss / Float(n) + eps).squareRoot()
                        for j in 0..<n { yi[j] = xi[j] * r * W[j] }
                    }
                }
            }
            count = k * n
        }
    }

    static func silu(_ x: Float) -> Float { x / (1 + expf(-x)) }

    /// SiLU of x in place: the C kernel (one polynomial e^t, the same bits on every SIMD path and
    /// whatever k), or with TOKENLOOM_IMAGE_KERNELS=swift the former loop over libm's expf.
    static func siluInPlace(_ x: inout [Float]) {
        if swiftLoops { for i in 0..<x.count { x[i] = silu(x[i]) }; return }
        SiLUF32.apply(&x)
    }

    /// One pre-norm block over k new rows x [k, d] (updated in place). The new rows attend to
    /// `prefixK`/`prefixV` ([np, d] each) and to the new rows: causally (row i sees new rows 0...i)
    /// or, when `causal` is false, to all k. Returns the new rows' keys and values ([k, d] each).
    static func block(_ b: ImageBlock, _ x: inout [Float], k: Int, hp: ImageARHyperparameters,
                      prefixK: [Float], prefixV: [Float], prefixCount np: Int, causal: Bool,
                      threads: Int = 1) -> ([Float], [Float]) {
        let d = hp.d
        guard k > 0 else { return ([], []) }                           // an empty prompt: no rows
        var keys = prefixK + [Float](repeating: 0, count: k * d)       // [np + k, d]
        var values = prefixV + [Float](repeating: 0, count: k * d)     // [np + k, d]
        keys.withUnsafeMutableBufferPointer { K in
            values.withUnsafeMutableBufferPointer { V in
                block(b, &x, k: k, hp: hp, keys: K.baseAddress!, values: V.baseAddress!, prefixCount: np,
                      causal: causal, threads: threads)
            }
        }
        return (Array(keys[(np * d)...]), Array(values[(np * d)...]))
    }

    /// The block with keys and values [np + k, d] in place: rows 0 ..< np hold the prefix, and the new
    /// rows' keys and values are written into rows np ..< np + k (the image model passes its cache's
    /// rows, so nothing is copied). The matrix products and causal attention may use up to `threads`
    /// threads; no bit depends on it.
    static func block(_ b: ImageBlock, _ x: inout [Float], k: Int, hp: ImageARHyperparameters,
                      keys: UnsafeMutablePointer<Float>, values: UnsafeMutablePointer<Float>, prefixCount np: Int,
                      causal: Bool, threads: Int = 1) {
        let d = hp.d, H = hp.heads, hd = hp.headDim
        let a = rmsNorm(x, b.attnNorm, k: k, n: d, eps: hp.eps)
        let q = matmul(a, b.wq, packs: b.packs, slot: 0, k: k, n: d, m: d, threads: threads)          // [k, d]
        if swiftLoops {
            matmul(a, b.wk, packs: b.packs, slot: 1, k: k, n: d, m: d).withUnsafeBufferPointer {
                (keys + np * d).update(from: $0.baseAddress!, count: k * d)
            }
            matmul(a, b.wv, packs: b.packs, slot: 2, k: k, n: d, m: d).withUnsafeBufferPointer {
                (values + np * d).update(from: $0.baseAddress!, count: k * d)
            }
        } else {   // the new rows' K and V [k, d] straight into their rows
            let wk = b.packs.get(1, b.wk, rows: d, cols: d), wv = b.packs.get(2, b.wv, rows: d, cols: d)
            a.withUnsafeBufferPointer { A in
                wk.multiply(A.baseAddress!, k: k, into: keys + np * d, threads: threads)
                wv.multiply(A.baseAddress!, k: k, into: values + np * d, threads: threads)
            }
        }
        let scale = 1 / Float(hd).squareRoot()
        var o = [Float](repeating: 0, count: k * d)          // [k, d] attention output
        if causal && !swiftLoops {
            // Row i attends to keys 0 ... np + i: tl_attention with the prefix as its cache, split over
            // (head, block of rows) chunks when there are threads and enough scores to pay, its softmax's
            // e^x the vectorised polynomial (poly = 1; tl_attention calls libm's expf once per score).
            tl_attention_rows_mt(q, keys, values, Int64(np), Int64(k), Int64(H), Int64(H), Int64(hd), scale, &o,
                                 Int32(clamping: max(1, threads)), 1)
        } else {
            let n = (np + k) * d
            attentionLoop(q, Array(UnsafeBufferPointer(start: keys, count: n)), Array(UnsafeBufferPointer(start: values, count: n)),
                          into: &o, k: k, np: np, d: d, H: H, hd: hd, scale: scale, causal: causal)
        }
        let attn = matmul(o, b.wo, packs: b.packs, slot: 3, k: k, n: d, m: d, threads: threads)
        for i in 0..<(k * d) { x[i] += attn[i] }
        let m = rmsNorm(x, b.ffnNorm, k: k, n: d, eps: hp.eps)
        var up = matmul(m, b.wUp, packs: b.packs, slot: 4, k: k, n: d, m: hp.ffn, threads: threads)     // [k, ffn]
        siluInPlace(&up)
        let down = matmul(up, b.wDown, packs: b.packs, slot: 5, k: k, n: hp.ffn, m: d, threads: threads)
        for i in 0..<(k * d) { x[i] += down[i] }
    }

    /// The former Swift attention: q [k, d] against keys/values [np + k, d] into o [k, d] (zeroed).
    static func attentionLoop(_ q: [Float], _ keys: [Float], _ values: [Float], into o: inout [Float], k: Int, np: Int,
                              d: Int, H: Int, hd: Int, scale: Float, causal: Bool) {
        var s = [Float](repeating: 0, count: np + k)         // scores of one (row, head)
        for i in 0..<k {
            let nKeys = causal ? np + i + 1 : np + k
            for h in 0..<H {
                var mx = -Float.infinity
                for j in 0..<nKeys {
                    var dot: Float = 0
                    for c in 0..<hd { dot += q[i * d + h * hd + c] * keys[j * d + h * hd + c] }
                    s[j] = dot * scale
                    mx = max(mx, s[j])
                }
                var z: Float = 0
                for j in 0..<nKeys { s[j] = expf(s[j] - mx); z += s[j] }
                for j in 0..<nKeys {
                    let p = s[j] / z
                    for c in 0..<hd { o[i * d + h * hd + c] += p * values[j * d + h * hd + c] }
                }
            }
        }
    }
}
