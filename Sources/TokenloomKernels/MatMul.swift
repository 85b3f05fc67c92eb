// MatMul: y [k, out] = x [k, in] . W [out, in]^T for all k positions at once, threaded over output
// rows. Each weight block is read once and dotted against every position (what makes Jacobi pay).
import CKernels

/// k activation rows [k, cols] and (for Q4_0 / Q4_1 / Q8_0 weights) their 8-bit quantisation,
/// computed once and shared by every matrix that reads the same input (q, k, v; gate, up).
public final class Activations: @unchecked Sendable {
    public let k: Int
    public let cols: Int
    public let x: UnsafeMutablePointer<Float>      // [k, cols]
    let q: UnsafeMutablePointer<Int8>              // [k, cols]
    let d: UnsafeMutablePointer<Float>             // [k, cols/32]
    let isum: UnsafeMutablePointer<Int32>          // [k, cols/32]
    let s: UnsafeMutablePointer<Float>             // [k, cols/32]
    let dexp: UnsafeMutablePointer<Float>          // [k, cols/32 * 8]
    let dxs: UnsafeMutablePointer<Float>           // [k, cols/32]
    private var quantized = false

    public init(k: Int, cols: Int) {
        self.k = k; self.cols = cols
        let nb = max(1, k * cols / 32)
        x = .allocate(capacity: max(1, k * cols)); x.initialize(repeating: 0, count: max(1, k * cols))
        q = .allocate(capacity: max(1, k * cols))
        d = .allocate(capacity: nb); isum = .allocate(capacity: nb); s = .allocate(capacity: nb)
        dexp = .allocate(capacity: 8 * nb); dxs = .allocate(capacity: nb)
    }

    deinit {
        x.deallocate(); q.deallocate(); d.deallocate(); isum.deallocate(); s.deallocate()
        dexp.deallocate(); dxs.deallocate()
    }

    /// Call after writing `x`: the quantised copy is recomputed lazily on next use.
    public func invalidate() { quantized = false }

    func prepare(forQ8: Bool) {
        guard forQ8, !quantized else { return }
        precondition(cols % 32 == 0, "integer matmul needs a row length multiple of 32, got \(cols)")
        tl_quantize_q8(x, Int64(k * cols), q, d, isum, s, dexp, dxs)
        quantized = true
    }

    var cActs: tl_acts {
        tl_acts(k: Int64(k), cols: Int64(cols), x: x, q: q, d: d, isum: isum, s: s, dexp: dexp, dxs: dxs)
    }
}

public enum MatMul {
    /// One product of a shared input: W and where its [k, W.rows] result goes.
    public struct Job {
        public let w: WeightMatrix
        public let y: UnsafeMutablePointer<Float>
        public init(_ w: WeightMatrix, into y: UnsafeMutablePointer<Float>) { self.w = w; self.y = y }
    }

    /// Runs every job on input `a` (the same k positions), splitting each job's rows over `threads`.
    /// `scalar` forces the portable reference path (tests).
    public static func run(_ jobs: [Job], _ a: Activations, threads: Int, scalar: Bool = false) {
        for j in jobs { precondition(j.w.cols == a.cols, "matmul: W has \(j.w.cols) columns, x has \(a.cols)") }
        a.prepare(forQ8: jobs.contains { $0.w.usesQ8 })
        var acts = a.cActs
        let mats = jobs.map { $0.w.cMatrix }
        let impl = scalar ? Int32(TL_IMPL_SCALAR) : Int32(TL_IMPL_BEST)
        let t = max(1, threads)
        let body: (Int) -> Void = { i in
            for (n, job) in jobs.enumerated() {
                let per = (job.w.rows + t - 1) / t
                let r0 = min(job.w.rows, i * per), r1 = min(job.w.rows, r0 + per)
                if r0 < r1 {
                    var m = mats[n]
                    _ = tl_matmul_rows(&m, &acts, Int64(r0), Int64(r1), job.y, Int64(job.w.rows), impl)
                }
            }
        }
        if t == 1 { body(0) } else { DispatchQueue.concurrentPerform(iterations: t, execute: body) }
    }

    /// Convenience: one matrix. y [k, W.rows]
    public static func run(_ w: WeightMatrix, _ a: Activations, into y: UnsafeMutablePointer<Float>,
                           threads: Int, scalar: Bool = false) {
        run([Job(w, into: y)], a, threads: threads, scalar: scalar)
    }

    /// Is the SIMD integer path active on this CPU?
    public static var simdAvailable: Bool { tl_simd_available() != 0 }
}

import Dispatch
