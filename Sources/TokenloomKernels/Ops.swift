// Elementwise and per-row ops of a transformer block: RMSNorm, RoPE, SiLU-gating, softmax, entropy,
// and causal grouped-query attention (in C).
import CKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum Ops {
    /// y = x / sqrt(mean(x^2) + eps) * g for each of `rows` rows of width n (sum in double, like ggml).
    public static func rmsNorm(_ x: UnsafePointer<Float>, _ g: UnsafePointer<Float>, rows: Int, n: Int,
                               eps: Float, into y: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let xr = x + r * n, yr = y + r * n
            var sum: Double = 0
            for i in 0..<n { sum += Double(xr[i] * xr[i]) }
            let scale = 1 / (Float(sum / Double(n)) + eps).squareRoot()
            for i in 0..<n { yr[i] = xr[i] * scale * g[i] }
        }
    }

    /// RoPE tables for positions 0 ..< count: cos/sin [count, dims/2] with theta_i = p * base^(-2i/dims),
    /// the angle built by repeated multiplication as ggml does.
    public static func ropeTables(count: Int, dims: Int, base: Float) -> (cos: [Float], sin: [Float]) {
        let half = dims / 2
        var c = [Float](repeating: 0, count: count * half), s = c
        let thetaScale = powf(base, -2.0 / Float(dims))
        for p in 0..<count {
            var theta = Float(p)
            for i in 0..<half {
                c[p * half + i] = cosf(theta); s[p * half + i] = sinf(theta)
                theta *= thetaScale
            }
        }
        return (c, s)
    }

    /// Rotates each head's pairs (2i, 2i+1) (llama "normal" RoPE) or (i, i + dims/2) (`neox`) of
    /// x [rows, heads * headDim] in place; row r is at position `positions[r]`.
    public static func rope(_ x: UnsafeMutablePointer<Float>, rows: Int, heads: Int, headDim: Int, dims: Int,
                            startPosition: Int, cos: UnsafePointer<Float>, sin: UnsafePointer<Float>,
                            neox: Bool) {
        let half = dims / 2
        for r in 0..<rows {
            let p = startPosition + r
            let cr = cos + p * half, sr = sin + p * half
            for h in 0..<heads {
                let v = x + r * heads * headDim + h * headDim
                for i in 0..<half {
                    let a = neox ? i : 2 * i, b = neox ? i + half : 2 * i + 1
                    let x0 = v[a], x1 = v[b]
                    v[a] = x0 * cr[i] - x1 * sr[i]
                    v[b] = x0 * sr[i] + x1 * cr[i]
                }
            }
        }
    }

    /// g = silu(g) * u, elementwise over n values: g / (1 + e^-g) * u with swiglu_f32.c's e^x (double
    /// inside, rounded once), vectorised, the same bits on every path and platform. `impl` picks a
    /// path (tests); nil: the one of the matmuls' kernel path (`MatMul.isa`, so TOKENLOOM_ISA=scalar
    /// runs it scalar too), else this CPU's best.
    public static func swiGLU(_ g: UnsafeMutablePointer<Float>, _ u: UnsafePointer<Float>, n: Int,
                              impl: PackedF32Matrix.Impl? = nil) {
        guard n > 0 else { return }
        let path = impl ?? MatMul.isa.map(f32Impl) ?? .best
        let rc = tl_swiglu_f32(g, u, Int64(n), path.rawValue)
        precondition(rc == 0, "swiGLU: kernel \(path) is not available on this CPU")
    }

    /// The F32 kernels' path that goes with a matmul kernel path (no NEON F32 path: scalar there).
    static func f32Impl(_ p: KernelPath) -> PackedF32Matrix.Impl {
        switch p {
        case .avx512: return .avx512
        case .avx2, .avxVNNI: return .avx2
        case .scalar, .neon, .neonDot: return .scalar
        }
    }

    /// e^x as swiGLU computes it (for tests).
    public static func swiGLUExp(_ x: Float) -> Float { tl_expf_d(x) }

    /// Causal grouped-query attention of k new positions after n0 cached ones; see ckernels.h.
    public static func attention(q: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
                                 n0: Int, k: Int, heads: Int, kvHeads: Int, headDim: Int,
                                 into out: UnsafeMutablePointer<Float>, threads: Int) {
        let scale = 1 / Float(headDim).squareRoot()
        tl_attention_mt(q, keys, values, Int64(n0), Int64(k), Int64(heads), Int64(kvHeads), Int64(headDim),
                        scale, out, Int32(clamping: max(1, threads)))
    }
}

/// Softmax and entropy of a logits row.
public enum Distribution {
    /// Probabilities from logits (max-subtracted, summed in double).
    public static func softmax(_ logits: [Float]) -> [Float] {
        guard let m = logits.max() else { return [] }
        var p = logits.map { expf($0 - m) }
        let sum = p.reduce(0.0) { $0 + Double($1) }
        let inv = Float(1 / sum)
        for i in p.indices { p[i] *= inv }
        return p
    }

    /// Entropy in nats of softmax(logits).
    public static func entropy(_ logits: [Float]) -> Double {
        guard let m = logits.max() else { return 0 }
        var z = 0.0, ez = 0.0
        for l in logits { let d = Double(l - m); let e = Foundation_exp(d); z += e; ez += e * d }
        return Foundation_log(z) - ez / z
    }
}

@inline(__always) private func Foundation_exp(_ x: Double) -> Double { exp(x) }
@inline(__always) private func Foundation_log(_ x: Double) -> Double { log(x) }
