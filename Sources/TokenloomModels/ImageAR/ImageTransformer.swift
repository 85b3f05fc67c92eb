// ImageTransformer: the F32 math of the image model's transformer blocks (text encoder and image
// decoder): RMSNorm, row-major matmul, multi-head attention over a key prefix, SiLU MLP.
// Plain loops: at d = 160 a position costs about 2.5M multiply-adds.
#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif

enum ImageMath {
    /// y = x W^T for x [k, n] and W [m, n] (rows of n): y [k, m].
    static func matmul(_ x: [Float], _ w: [Float], k: Int, n: Int, m: Int) -> [Float] {
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

    /// Row-wise RMSNorm of x [k, n] times w [n] (w nil: no weight).
    static func rmsNorm(_ x: [Float], _ w: [Float]?, k: Int, n: Int, eps: Float) -> [Float] {
        var y = x
        for i in 0..<k {
            var ss: Float = 0
            for j in 0..<n { ss += x[i * n + j] * x[i * n + j] }
            let r = 1 / (ss / Float(n) + eps).squareRoot()
            for j in 0..<n { y[i * n + j] = x[i * n + j] * r * (w?[j] ?? 1) }
        }
        return y
    }

    static func silu(_ x: Float) -> Float { x / (1 + expf(-x)) }

    /// One pre-norm block over k new rows x [k, d] (updated in place). The new rows attend to
    /// `prefixK`/`prefixV` ([np, d] each) and to the new rows: causally (row i sees new rows 0...i)
    /// or, when `causal` is false, to all k. Returns the new rows' keys and values ([k, d] each).
    static func block(_ b: ImageBlock, _ x: inout [Float], k: Int, hp: ImageARHyperparameters,
                      prefixK: [Float], prefixV: [Float], prefixCount np: Int, causal: Bool) -> ([Float], [Float]) {
        let d = hp.d, H = hp.heads, hd = hp.headDim
        let a = rmsNorm(x, b.attnNorm, k: k, n: d, eps: hp.eps)
        let q = matmul(a, b.wq, k: k, n: d, m: d)          // [k, d]
        let kNew = matmul(a, b.wk, k: k, n: d, m: d)       // [k, d]
        let vNew = matmul(a, b.wv, k: k, n: d, m: d)       // [k, d]
        let keys = prefixK + kNew, values = prefixV + vNew  // [np + k, d]
        let scale = 1 / Float(hd).squareRoot()
        var o = [Float](repeating: 0, count: k * d)          // [k, d] attention output
        var s = [Float](repeating: 0, count: np + k)
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
        let attn = matmul(o, b.wo, k: k, n: d, m: d)
        for i in 0..<(k * d) { x[i] += attn[i] }
        let m = rmsNorm(x, b.ffnNorm, k: k, n: d, eps: hp.eps)
        var up = matmul(m, b.wUp, k: k, n: d, m: hp.ffn)     // [k, ffn]
        for i in 0..<up.count { up[i] = silu(up[i]) }
        let down = matmul(up, b.wDown, k: k, n: hp.ffn, m: d)
        for i in 0..<(k * d) { x[i] += down[i] }
        return (kNew, vNew)
    }
}
