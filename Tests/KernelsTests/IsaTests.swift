// Every kernel path this CPU can run gives bit for bit the y of the scalar reference: random and
// extreme weights and activations, k = 1...17 positions, 1...3 threads, a last unpaired block and
// Q4_1's m term past 16 blocks; the float path, the quantisation and attention too. The paths this
// CPU lacks (NEON here, or AVX on ARM) are checked by the C harness Tests/ckernels-cross/run.sh,
// natively and under qemu-aarch64, which the last test runs.
import Foundation
import Testing
@testable import TokenloomKernels
import CKernels
import TokenloomTestSupport

@Suite struct IsaTests {
    /// The SIMD paths this CPU runs (each is compared with .scalar).
    static let paths = KernelPath.supported.filter { $0 != .scalar }

    enum WeightFill: CaseIterable { case random, min, max, alternating }
    enum ActFill: CaseIterable { case random, allPositive, allNegative, alternating, sparse }

    /// Weights [rows, cols] of `type`: random, or every quant at its minimum (Q8_0: -128, Q4: 0), its
    /// maximum (127, 15) or alternating; scales of both signs, every 5th block fp16-subnormal or -900.
    func weights(_ type: GGMLType, rows: Int, cols: Int, fill: WeightFill, rng: inout SeededRandom) -> [UInt8] {
        var out = randomWeights(type, rows: rows, cols: cols, rng: &rng)
        guard type == .q4_0 || type == .q4_1 || type == .q8_0 else { return out }
        let bs = type.bytesPerBlock, hdr = type == .q4_1 ? 4 : 2
        for b in 0..<(rows * cols / 32) {
            if b % 5 == 3 {
                let h = Dequantize.floatToFP16(b % 2 == 0 ? 3.0e-7 : -900)
                out[b * bs] = UInt8(h & 0xff); out[b * bs + 1] = UInt8(h >> 8)
            }
            guard fill != .random else { continue }
            for i in hdr..<bs {
                switch (fill, type == .q8_0) {
                case (.min, true): out[b * bs + i] = 0x80
                case (.min, false): out[b * bs + i] = 0x00
                case (.max, true): out[b * bs + i] = 0x7F
                case (.max, false): out[b * bs + i] = 0xFF
                case (_, true): out[b * bs + i] = i % 2 == 0 ? 0x7F : 0x80
                case (_, false): out[b * bs + i] = i % 2 == 0 ? 0xF0 : 0x0F
                }
            }
        }
        return out
    }

    func activations(k: Int, cols: Int, fill: ActFill, rng: inout SeededRandom) -> Activations {
        let a = Activations(k: k, cols: cols)
        for i in 0..<(k * cols) {
            switch fill {
            case .random: a.x[i] = rng.normal()
            case .allPositive: a.x[i] = 1          // q = +127 everywhere
            case .allNegative: a.x[i] = -1         // q = -127
            case .alternating: a.x[i] = i % 2 == 0 ? 1 : -1
            case .sparse: a.x[i] = (i / 32) % 3 == 0 ? 0 : (i % 7 == 0 ? 1000 : rng.normal())
            }
        }
        return a
    }

    /// Values of y [k, rows] that differ in any bit between `path` (threads 1...3) and .scalar.
    func mismatches(_ path: KernelPath, _ type: GGMLType, rows: Int, cols: Int, k: Int,
                    wfill: WeightFill, xfill: ActFill, seed: UInt64, integerPath: Bool = true) -> [String] {
        var rng = SeededRandom(seed)
        let bytes = weights(type, rows: rows, cols: cols, fill: wfill, rng: &rng)
        let a = activations(k: k, cols: cols, fill: xfill, rng: &rng)
        var bad: [String] = []
        bytes.withUnsafeBytes { buf in
            let w = WeightMatrix(type: type, rows: rows, cols: cols, bytes: buf, integerPath: integerPath)!
            var ref = [Float](repeating: .nan, count: k * rows)
            ref.withUnsafeMutableBufferPointer { MatMul.run(w, a, into: $0.baseAddress!, threads: 1, path: .scalar) }
            for threads in 1...3 {
                var y = [Float](repeating: .nan, count: k * rows)
                y.withUnsafeMutableBufferPointer { MatMul.run(w, a, into: $0.baseAddress!, threads: threads, path: path) }
                for i in 0..<y.count where y[i].bitPattern != ref[i].bitPattern {
                    bad.append("\(path.name) \(type.name) cols=\(cols) k=\(k) threads=\(threads) \(wfill)/\(xfill) [\(i)]: \(y[i]) vs scalar \(ref[i])")
                }
            }
        }
        return bad
    }

    @Test(arguments: paths, [GGMLType.q4_0, .q4_1, .q8_0])
    func integerPathEqualsScalarBitForBit(path: KernelPath, type: GGMLType) {
        var bad: [String] = []
        // 32: one block; 96: a last unpaired block; 544: Q4_1's m term has 17 blocks (a tail past 16).
        for cols in [32, 96, 544] {
            for k in 1...17 {
                bad += mismatches(path, type, rows: 21, cols: cols, k: k, wfill: .random, xfill: .random,
                                  seed: UInt64(cols * 100 + k))
            }
            for wf in WeightFill.allCases {
                for xf in ActFill.allCases {
                    bad += mismatches(path, type, rows: 13, cols: cols, k: 9, wfill: wf, xfill: xf, seed: UInt64(cols))
                }
            }
        }
        bad += mismatches(path, type, rows: 301, cols: 576, k: 17, wfill: .random, xfill: .random, seed: 5)
        #expect(bad.isEmpty, "\(bad.count) values differ, e.g. \(bad.prefix(3))")
    }

    /// The float path: F32, F16, Q2_K, and Q5_1 / Q6_K kept untranscoded (integerPath: false; TranscodeTests
    /// checks their integer path).
    @Test(arguments: paths, [GGMLType.f32, .f16, .q2_K, .q5_1, .q6_K])
    func floatPathEqualsScalarBitForBit(path: KernelPath, type: GGMLType) {
        var bad: [String] = []
        // Lengths with and without a tail past the last 16 (the dot's one-at-a-time part).
        let colset = type.blockSize == 256 ? [256, 512] : type.blockSize == 32 ? [32, 96] : [7, 50, 577]
        for cols in colset {
            for k in [1, 2, 5, 8, 9, 17] {
                bad += mismatches(path, type, rows: 19, cols: cols, k: k, wfill: .random, xfill: .random,
                                  seed: UInt64(cols * 7 + k), integerPath: false)
            }
            bad += mismatches(path, type, rows: 19, cols: cols, k: 3, wfill: .random, xfill: .sparse, seed: 1, integerPath: false)
        }
        #expect(bad.isEmpty, "\(bad.count) values differ, e.g. \(bad.prefix(3))")
    }

    @Test(arguments: paths)
    func quantisationEqualsScalarBitForBit(path: KernelPath) {
        var rng = SeededRandom(3)
        for fill in ActFill.allCases {
            let n = 32 * 37
            let a = activations(k: 1, cols: n, fill: fill, rng: &rng), b = Activations(k: 1, cols: n)
            a.x[5] = 0.5; a.x[6] = -0.5                                  // ties
            for i in 0..<n { b.x[i] = a.x[i] }
            tl_quantize_q8_scalar(a.x, Int64(n), a.q, a.d, a.isum, a.s, a.dexp, a.dxs)
            #expect(tl_quantize_q8_isa(path.rawValue, b.x, Int64(n), b.q, b.d, b.isum, b.s, b.dexp, b.dxs) == 0)
            #expect((0..<n).allSatisfy { a.q[$0] == b.q[$0] }, "\(path.name) \(fill): q")
            #expect((0..<(n / 32)).allSatisfy {
                a.d[$0].bitPattern == b.d[$0].bitPattern && a.s[$0].bitPattern == b.s[$0].bitPattern
                    && a.isum[$0] == b.isum[$0] && a.dxs[$0].bitPattern == b.dxs[$0].bitPattern
            }, "\(path.name) \(fill): scales")
        }
    }

    /// Attention: heads of a multiple of 16 (each path's SIMD code; 8 keys at a time past 8 on AVX-512)
    /// and of 40 (the scalar code on every path), a cache prefix and k new positions.
    @Test(arguments: paths)
    func attentionEqualsScalarBitForBit(path: KernelPath) {
        var rng = SeededRandom(11)
        var bad: [String] = []
        for hd in [16, 64, 128, 256, 40] {
            for (n0, k) in [(0, 1), (0, 9), (5, 3), (37, 1), (37, 17)] {
                let H = 6, Hkv = hd == 64 ? 2 : 3, T = n0 + k
                let q = (0..<(k * H * hd)).map { _ in rng.normal() }
                let K = (0..<(T * Hkv * hd)).map { _ in rng.normal() }, V = (0..<(T * Hkv * hd)).map { _ in rng.normal() }
                var ref = [Float](repeating: .nan, count: k * H * hd), got = ref, scratch = [Float](repeating: 0, count: T)
                #expect(tl_attention_isa(KernelPath.scalar.rawValue, q, K, V, Int64(n0), Int64(k), Int64(H), Int64(Hkv),
                                         Int64(hd), 0.125, &ref, &scratch, 0, Int64(H)) == 0)
                #expect(tl_attention_isa(path.rawValue, q, K, V, Int64(n0), Int64(k), Int64(H), Int64(Hkv),
                                         Int64(hd), 0.125, &got, &scratch, 0, Int64(H)) == 0)
                for i in 0..<ref.count where got[i].bitPattern != ref[i].bitPattern {
                    bad.append("\(path.name) hd=\(hd) n0=\(n0) k=\(k) [\(i)]: \(got[i]) vs scalar \(ref[i])")
                }
            }
        }
        #expect(bad.isEmpty, "\(bad.count) values differ, e.g. \(bad.prefix(3))")
    }

    /// A path this CPU lacks is refused (-2), never run as another; names round-trip.
    @Test func unsupportedPathsAreRefusedAndNamesParse() {
        for p in KernelPath.allCases {
            #expect(KernelPath(name: p.name) == p, "\(p.name)")
            guard !p.isSupported else { continue }
            #expect(!MatMul.force(p), "\(p.name) forced on a CPU without it")
            let a = Activations(k: 1, cols: 32)
            var acts = a.cActs
            let bytes = [UInt8](repeating: 0, count: 34)
            bytes.withUnsafeBufferPointer { buf in
                var y: Float = 0
                var m = tl_matrix(type: Int32(TL_Q8_0), data: buf.baseAddress, rows: 1, cols: 32, row_bytes: 34)
                withUnsafeMutablePointer(to: &y) { yp in
                    var ys: [UnsafeMutablePointer<Float>?] = [yp]
                    #expect(tl_matmul_jobs(&m, &ys, 1, &acts, 1, p.rawValue) == -2, "\(p.name)")
                }
            }
        }
        #expect(KernelPath(name: "sse2") == nil)
        #expect(KernelPath(name: "scalar") == .scalar)
        #expect(MatMul.isaError == nil)   // the test run sets no TOKENLOOM_ISA
    }

    /// Tests/ckernels-cross/run.sh: the C kernels with test_kernels.c natively (every x86 path this CPU
    /// has) and cross-compiled for aarch64 under qemu-aarch64 (NEON with and without sdot).
    static let crossTools = ["cc", "aarch64-linux-gnu-gcc", "qemu-aarch64"].allSatisfy { tool in
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").contains {
            FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)")
        }
    }

    @Test(.enabled(if: crossTools, "needs cc, aarch64-linux-gnu-gcc and qemu-aarch64 (apt: gcc-aarch64-linux-gnu qemu-user)"))
    func cHarnessNativeAndNEONUnderQemu() throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("ckernels-cross/run.sh").path
        let out = try Subprocess.run(["/bin/sh", script], timeout: 300)
        print(out.stdout.split(separator: "\n").filter { $0.hasPrefix("==") || $0.contains("cases") }.joined(separator: "\n"))
        #expect(out.status == 0, "run.sh failed:\n\(out.stdout)\n\(out.stderr)")
        #expect(out.stdout.contains(" neon+dotprod (sdot): 1522 cases") && out.stdout.contains(" neon (smull): 1522 cases"),
                "the NEON paths did not run:\n\(out.stdout)")
        #expect(!out.stdout.contains("SKIPPED") && !out.stdout.contains("FAIL"), "\(out.stdout)")
    }
}
