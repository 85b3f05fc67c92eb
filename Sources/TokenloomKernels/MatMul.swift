// MatMul: y [k, out] = x [k, in] . W [out, in]^T for all k positions at once, threaded over output
// rows. Each weight block is read once and dotted against every position (what makes Jacobi pay).
#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif
import CKernels

/// k activation rows [k, cols] and (for the integer path's weights: Q4_0 / Q4_1 / Q8_0 and the transcoded
/// types, see WeightMatrix) their 8-bit quantisation,
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
    // The kernel's interleaved copy (tl_q8_lanes): G = ceil(k/8) groups of 8 positions, P = ceil(cols/64)
    let gq: UnsafeMutablePointer<UInt8>            // [G, P, 8, 64]  q
    let gu: UnsafeMutablePointer<UInt8>            // [G, P, 8, 64]  q + 128
    let gd: UnsafeMutablePointer<Float>            // [G, P, 8, 16]  d per lane
    let gn: UnsafeMutablePointer<Int32>            // [G, P, 8, 16]  -(sum of 4 q) per lane
    // The block-per-lane copy (tl_q8_block_lanes): NG = floor(cols/512) whole groups of 16 blocks
    let bt: UnsafeMutablePointer<UInt8>            // [G, NG, 8, 8, 64]  q
    let btu: UnsafeMutablePointer<UInt8>           // [G, NG, 8, 8, 64]  q + 128
    let bd: UnsafeMutablePointer<Float>            // [G, NG, 8, 16]     d per block
    let bz: UnsafeMutablePointer<Int32>            // [G, NG, 8, 16]     -8 isum per block
    private var quantized = false, blockLanesReady = false

    /// Run the AVX-512 path's block-per-lane kernel (matmul_q8_blocks.c: ~1.4x the pair kernel's rate
    /// on Q4_1 at k >= 8 here) instead of the pair kernel. Both give a position the same bits whatever
    /// k and threads, but not the same bits as each other: the block kernel sums each block's integer
    /// dot before scaling it. Off by default (TOKENLOOM_Q8_KERNEL=blocks turns it on) because the fused
    /// image model was trained on SmolLM2 features of the pair kernel's numerics (ImageARModelTests'
    /// fusedFeaturesComeFromTheEngine): turning it on for good means redoing that stage.
    public var blockKernel = Activations.blockKernelDefault
    public static let blockKernelDefault: Bool = getenv("TOKENLOOM_Q8_KERNEL").map { String(cString: $0) == "blocks" } ?? false

    public init(k: Int, cols: Int) {
        self.k = k; self.cols = cols
        let nb = max(1, k * cols / 32)
        x = .allocate(capacity: max(1, k * cols)); x.initialize(repeating: 0, count: max(1, k * cols))
        q = .allocate(capacity: max(1, k * cols))
        d = .allocate(capacity: nb); isum = .allocate(capacity: nb); s = .allocate(capacity: nb)
        dexp = .allocate(capacity: 8 * nb); dxs = .allocate(capacity: nb)
        let groups = (k + 7) / 8, pairs = (cols / 32 + 1) / 2
        gq = .allocate(capacity: max(1, groups * pairs * 512)); gu = .allocate(capacity: max(1, groups * pairs * 512))
        gd = .allocate(capacity: max(1, groups * pairs * 128)); gn = .allocate(capacity: max(1, groups * pairs * 128))
        let blockGroups = cols / 512
        bt = .allocate(capacity: max(1, groups * blockGroups * 4096)); btu = .allocate(capacity: max(1, groups * blockGroups * 4096))
        bd = .allocate(capacity: max(1, groups * blockGroups * 128)); bz = .allocate(capacity: max(1, groups * blockGroups * 128))
    }

    deinit {
        x.deallocate(); q.deallocate(); d.deallocate(); isum.deallocate(); s.deallocate()
        dexp.deallocate(); dxs.deallocate(); gq.deallocate(); gu.deallocate(); gd.deallocate(); gn.deallocate()
        bt.deallocate(); btu.deallocate(); bd.deallocate(); bz.deallocate()
    }

    /// Call after writing `x`: the quantised copy is recomputed lazily on next use.
    public func invalidate() { quantized = false; blockLanesReady = false }

    func prepare(forQ8: Bool) {
        guard forQ8 else { return }
        if !quantized {
            precondition(cols % 32 == 0, "integer matmul needs a row length multiple of 32, got \(cols)")
            tl_quantize_q8(x, Int64(k * cols), q, d, isum, s, dexp, dxs)
            tl_q8_lanes(q, dexp, Int64(k), Int64(cols), gq, gu, gd, gn)
            quantized = true
        }
        if blockKernel && !blockLanesReady {
            tl_q8_block_lanes(q, d, isum, Int64(k), Int64(cols), bt, btu, bd, bz)
            blockLanesReady = true
        }
    }

    var cActs: tl_acts {
        tl_acts(k: Int64(k), cols: Int64(cols), x: x, q: q, d: d, isum: isum, s: s, dexp: dexp, dxs: dxs,
                gq: gq, gu: gu, gd: gd, gn: gn, bt: blockKernel ? bt : nil, btu: blockKernel ? btu : nil,
                bd: blockKernel ? bd : nil, bz: blockKernel ? bz : nil)
    }
}

/// A kernel path (instruction set) of the matmul. Every path gives the same bits as `.scalar`.
public enum KernelPath: Int32, CaseIterable, Sendable, CustomStringConvertible {
    case scalar = 1       // TL_ISA_SCALAR: portable C, the reference
    case avx2 = 2         // AVX2 + FMA + F16C, vpmaddubsw
    case avxVNNI = 3      // AVX2 with AVX-VNNI's vpdpbusd
    case avx512 = 4       // AVX-512 F/BW/VL + VNNI
    case neon = 5         // aarch64 NEON, smull
    case neonDot = 6      // NEON with the dot-product extension

    /// The name TOKENLOOM_ISA and `--isa` take ("avx2", "avx512", "neon-dot", ...).
    public var name: String { String(cString: tl_isa_name(rawValue)) }
    /// What it uses, for people: "avx2+fma+f16c (vpmaddubsw)".
    public var description: String { String(cString: tl_isa_description(rawValue)) }
    /// Can this CPU (and this build) run it?
    public var isSupported: Bool { tl_isa_supported(rawValue) != 0 }
    /// A TOKENLOOM_ISA / `--isa` name: "avx2" and "neon" pick the best AVX2 / NEON variant this CPU has.
    public init?(name: String) {
        let v = tl_isa_parse(name)
        guard v > 0, let p = KernelPath(rawValue: v) else { return nil }
        self = p
    }
    /// The best path this CPU has.
    public static var best: KernelPath { KernelPath(rawValue: tl_isa_best()) ?? .scalar }
    /// The paths this CPU can run, best first.
    public static var supported: [KernelPath] { allCases.filter(\.isSupported).sorted { $0.rawValue > $1.rawValue } }
}

public enum MatMul {
    /// The path matmuls run on: TOKENLOOM_ISA's or `force`'s, else the best this CPU has; nil when
    /// TOKENLOOM_ISA names no path or one this CPU lacks (`isaError` says which; matmuls then stop the
    /// process with that message rather than fall back silently).
    public static var isa: KernelPath? { KernelPath(rawValue: tl_isa_active()) }
    /// Was the path chosen by TOKENLOOM_ISA or `force` (not by the CPU)?
    public static var isaForced: Bool { tl_isa_forced() != 0 }
    /// One line saying why TOKENLOOM_ISA cannot be honoured, or nil.
    public static var isaError: String? { tl_isa_error().map { String(cString: $0) } }

    /// Makes every later matmul run on `path` (nil: back to TOKENLOOM_ISA / the best). False, and
    /// nothing changes, when this CPU cannot run it.
    @discardableResult
    public static func force(_ path: KernelPath?) -> Bool { tl_isa_force(path?.rawValue ?? 0) == 0 }

    /// One product of a shared input: W and where its [k, W.rows] result goes.
    public struct Job {
        public let w: WeightMatrix
        public let y: UnsafeMutablePointer<Float>
        public init(_ w: WeightMatrix, into y: UnsafeMutablePointer<Float>) { self.w = w; self.y = y }
    }

    /// Runs every job on input `a` (the same k positions), in chunks of rows over `threads` threads
    /// (a persistent pool; one dispatch for all jobs). `path` picks a kernel path for this call (tests;
    /// nil: `isa`); `scalar` is `path: .scalar`.
    public static func run(_ jobs: [Job], _ a: Activations, threads: Int, scalar: Bool = false, path: KernelPath? = nil) {
        for j in jobs { precondition(j.w.cols == a.cols, "matmul: W has \(j.w.cols) columns, x has \(a.cols)") }
        a.prepare(forQ8: jobs.contains { $0.w.usesQ8 })
        var acts = a.cActs
        let mats = jobs.map { $0.w.cMatrix }
        let ys: [UnsafeMutablePointer<Float>?] = jobs.map { $0.y }
        let impl = scalar ? KernelPath.scalar.rawValue : path?.rawValue ?? Int32(TL_ISA_BEST)
        let rc = mats.withUnsafeBufferPointer { m in
            ys.withUnsafeBufferPointer { y in
                tl_matmul_jobs(m.baseAddress, y.baseAddress, Int32(jobs.count), &acts, Int32(clamping: max(1, threads)), impl)
            }
        }
        // -2: a path this CPU cannot run (TOKENLOOM_ISA is checked by the CLI before any work starts).
        precondition(rc != -2, "matmul: " + (isaError ?? "the \(path?.name ?? "chosen") kernel path cannot run on this CPU"))
        precondition(rc == 0, "matmul: unsupported weight type")   // WeightMatrix admits only supported types
    }

    /// Convenience: one matrix. y [k, W.rows]
    public static func run(_ w: WeightMatrix, _ a: Activations, into y: UnsafeMutablePointer<Float>,
                           threads: Int, scalar: Bool = false, path: KernelPath? = nil) {
        run([Job(w, into: y)], a, threads: threads, scalar: scalar, path: path)
    }

    /// Roofline probes: the best read bandwidth in GB/s of `threads` threads streaming `bytes`, and
    /// the peak 512-bit VNNI rate in G multiply-adds/s (0 without VNNI).
    public static func measureReadBandwidth(threads: Int, bytes: Int = 512 << 20, runs: Int = 5) -> Double {
        tl_measure_read_bandwidth(Int32(clamping: max(1, threads)), Int64(bytes), Int32(runs))
    }
    public static func measureVNNIPeak(threads: Int, runs: Int = 5) -> Double {
        tl_measure_vnni_peak(Int32(clamping: max(1, threads)), Int32(runs))
    }
    /// The peak 512-bit F32 FMA rate in G multiply-adds/s (0 without AVX-512): the F32 models' compute roof.
    public static func measureFMAPeak(threads: Int, runs: Int = 5) -> Double {
        tl_measure_fma_peak(Int32(clamping: max(1, threads)), Int32(runs))
    }

    /// Is a SIMD path active (see `isa`)?
    public static var simdAvailable: Bool { tl_simd_available() != 0 }
}

