// `tokenloom bench engine`: prompt-eval and AR-decode tokens/s, the time of one forward over
// k = 1, 2, 4 ... 64, 80 positions after a 64-token prefix, the cost of the wide passes Jacobi decoders
// verify (k = 16 and k = 80) relative to k = 1, and peak RSS; medians of several runs.
// `--breakdown` adds where a forward's time goes, per op; `--roofline` the floors those ratios could reach.
import ArgumentParser
import Foundation
import TokenloomKernels
import TokenloomModels

struct BenchEngineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "engine",
        abstract: "Time the inference engine on a model.")
    @OptionGroup var model: ModelOptions
    @OptionGroup var output: OutputOptions

    @Option(parsing: .unconditional, help: "Timed repetitions per figure (the median is reported).")
    var runs: Int = 5

    @Option(parsing: .unconditional, help: "Tokens in the prompt-eval batch.")
    var promptTokens: Int = 128

    @Option(parsing: .unconditional, help: "Tokens decoded one at a time for the decode figure.")
    var decodeTokens: Int = 128

    @Option(help: ArgumentHelp("Kernel path: avx512, avx2, avxvnni, avx2-novnni, neon, neon-dot, neon-nodot or scalar.",
                               discussion: "Default: TOKENLOOM_ISA's, else the best this CPU has. A path this CPU lacks is an error."))
    var isa: String?

    @Flag(help: "Also time each op of the forward (k = 1 and k = 16).")
    var breakdown = false

    @Flag(help: "Also measure this machine's roofline (read bandwidth, peak VNNI rate) and place the model on it.")
    var roofline = false

    func validate() throws {
        try check(runs, in: 1...1000, "--runs")
        try check(promptTokens, in: 1...65_536, "--prompt-tokens")
        try check(decodeTokens, in: 1...65_536, "--decode-tokens")
        if let name = isa {
            guard let p = KernelPath(name: name) else {
                throw ValidationError("--isa \(name) names no kernel path (avx512, avx2, avxvnni, avx2-novnni, neon, neon-dot, neon-nodot, scalar)")
            }
            guard p.isSupported else {
                throw ValidationError("--isa \(name): this CPU cannot run the \(p.description) path; it can run "
                                      + KernelPath.supported.map(\.name).joined(separator: ", "))
            }
        }
    }

    /// The kernel path this run uses and what chose it: "avx2+fma+f16c (vpmaddubsw) [avx2], forced by --isa".
    private func kernelsLine() -> String {
        let p = MatMul.isa ?? .scalar
        let why = isa != nil ? "forced by --isa" : MatMul.isaForced ? "forced by TOKENLOOM_ISA" : "the best this CPU has"
        return "\(p.description) [\(p.name)], \(why)"
    }

    struct Report: Encodable {
        let model: String
        let threads: Int
        let kernels: String                    // the path's name (TOKENLOOM_ISA / --isa spelling)
        let kernels_detail: String             // what it uses and what chose it
        let transcoded_types_path: String?     // Q5_0/Q5_1/IQ4_NL/K tensors: integer (copies) or float, and why
        let prompt_tokens_per_s: Double
        let decode_tokens_per_s: Double
        let forward_ms: [String: Double]
        let peak_rss_mb: Double
        let breakdown_ms: [String: [String: Double]]?
        let roofline: Roofline?
        /// forward_ms[k] / forward_ms[1] for the wide passes (k = 16, 80).
        let wide_pass_ratio: [String: Double]
    }

    /// Where the model sits on this machine's roofline.
    struct Roofline: Encodable {
        let read_gb_per_s: Double              // measured, the kernel threads streaming 256 MB
        let peak_vnni_gmac_per_s: Double       // measured, 512-bit u8 x s8 multiply-adds (integer models)
        let peak_fma_gmac_per_s: Double        // measured, 512-bit F32 FMA on the kernel threads (the image model's wide passes)
        let peak_fma_1_thread_gmac_per_s: Double   // the same on one thread (the image model's 1-position pass)
        let weight_mb_per_forward: Double      // every matrix read once per forward
        let gmac_per_position: Double          // matrix products only
        let memory_floor_ms: Double            // one position: weight bytes / bandwidth
        let compute_floor_ms_per_position: Double   // many positions: multiply-adds / peak
        let k1_ms: Double                      // measured forward, k = 1
        let k64_ms_per_position: Double        // measured forward, k = 64, per position
        let k1_gb_per_s: Double                // weight bytes / k = 1 time
        let k64_gmac_per_s: Double             // multiply-adds / k = 64 time
        /// floor(k) / floor(1) for k = 16, 80, with floor(k) = max(memory floor, k x compute floor).
        let floor_ratio: [String: Double]
    }

    func run() throws {
        if let name = isa, let p = KernelPath(name: name) { MatMul.force(p) }   // validate() checked it runs here
        let path = try ModelStore.resolve(model.model)
        let m = try ModelLoader.load(path: path, threads: model.threads, cacheCapacity: 1024)
        // The budget the model runs with (the image model's default differs from the text model's).
        let threads = (m as? ImageARModel)?.threads ?? (m as? LlamaModel)?.threads ?? model.threads ?? Parallel.coreCount
        let prefix = 64, ks = [1, 2, 4, 8, 16, 32, 64, 80], wide = [16, 80]
        guard m.contextLength >= max(promptTokens, prefix + 80, decodeTokens + 8) else {
            throw CLIError.data("the model's context (\(m.contextLength)) is too short for this benchmark")
        }
        // Deterministic token ids spread over the vocabulary (the text does not matter for speed).
        let ids = (0..<max(promptTokens, prefix + 80)).map { ($0 * 7919 + 13) % m.vocabSize }

        _ = try m.forward(tokens: Array(ids[0..<8]), cache: m.makeCache())   // warm the mapping
        let prompt = try median(runs) {
            let c = m.makeCache()
            return try time { _ = try m.forward(tokens: Array(ids[0..<promptTokens]), cache: c) }
        }
        let decode = try median(max(1, runs / 2)) {
            let c = m.makeCache()
            var next = try argmax(m.forward(tokens: [ids[0]], cache: c).row(0))
            return try time {
                for _ in 0..<decodeTokens { next = try argmax(m.forward(tokens: [next], cache: c).row(0)) }
            }
        }
        let base = m.makeCache()
        _ = try m.forward(tokens: Array(ids[0..<prefix]), cache: base)
        var forward: [String: Double] = [:]
        for k in ks {
            forward[String(k)] = try median(runs) {
                base.truncate(to: prefix)
                return try time { _ = try m.forward(tokens: Array(ids[prefix..<(prefix + k)]), cache: base) }
            }
        }
        var breakdown: [String: [String: Double]]? = nil
        if self.breakdown, let llama = m as? LlamaModel {
            breakdown = [:]
            for k in [1, 16] {
                let prof = OpProfile()
                llama.profile = prof
                for _ in 0..<runs {
                    base.truncate(to: prefix)
                    _ = try llama.forward(tokens: Array(ids[prefix..<(prefix + k)]), cache: base)
                }
                llama.profile = nil
                breakdown?[String(k)] = prof.millisecondsPerForward(runs)
            }
        }
        let rss = peakRSSMegabytes()   // before the roofline probe's buffer
        var roof: Roofline? = nil
        // Integer (VNNI) kernels on `threads` threads for the text model; the image model's F32 GEMM
        // runs a 1-position pass on the calling thread (one thread's FMA rate) and passes of 8 or more
        // positions on `threads` threads.
        let sizes: (bytes: Int, macs: Int)? = (m as? LlamaModel).map { ($0.weightBytesPerForward, $0.multiplyAddsPerPosition) }
            ?? (m as? ImageARModel).map { ($0.weightBytesPerForward, $0.multiplyAddsPerPosition) }
        if roofline, let sizes {
            // The image model's few MB of weights stay in cache between passes: its memory floor is one
            // thread streaming a buffer of their size (the best of several reps, so a cache-resident rate).
            let bw = m is LlamaModel ? MatMul.measureReadBandwidth(threads: threads, bytes: 256 << 20)
                : MatMul.measureReadBandwidth(threads: 1, bytes: ((sizes.bytes + (1 << 20) - 1) >> 20) << 20, runs: 9)
            let vnni = m is LlamaModel ? MatMul.measureVNNIPeak(threads: threads) : 0
            let fma1 = m is ImageARModel ? MatMul.measureFMAPeak(threads: 1) : 0
            let fma = m is ImageARModel && threads > 1 ? MatMul.measureFMAPeak(threads: threads) : fma1
            let peak = m is LlamaModel ? vnni : fma
            let bytes = Double(sizes.bytes), macs = Double(sizes.macs)
            let k1 = forward["1"] ?? 0, k64 = (forward["64"] ?? 0) / 64
            let memFloor = bw > 0 ? bytes / bw / 1e6 : 0, computeFloor = peak > 0 ? macs / peak / 1e6 : 0
            // The image model's 1-position pass runs on one thread: its compute floor is one thread's.
            let computeFloor1 = m is ImageARModel && fma1 > 0 ? macs / fma1 / 1e6 : computeFloor
            func floor(_ k: Int) -> Double { max(memFloor, Double(k) * (k == 1 ? computeFloor1 : computeFloor)) }
            roof = Roofline(read_gb_per_s: bw, peak_vnni_gmac_per_s: vnni, peak_fma_gmac_per_s: fma,
                            peak_fma_1_thread_gmac_per_s: fma1,
                            weight_mb_per_forward: bytes / 1e6,
                            gmac_per_position: macs / 1e9, memory_floor_ms: memFloor,
                            compute_floor_ms_per_position: computeFloor,
                            k1_ms: k1, k64_ms_per_position: k64,
                            k1_gb_per_s: k1 > 0 ? bytes / k1 / 1e6 : 0, k64_gmac_per_s: k64 > 0 ? macs / k64 / 1e6 : 0,
                            floor_ratio: Dictionary(uniqueKeysWithValues: wide.map { (String($0), floor(1) > 0 ? floor($0) / floor(1) : 0) }))
        }
        let k1ms = forward["1"] ?? 0
        let wideRatio = Dictionary(uniqueKeysWithValues: wide.map { (String($0), k1ms > 0 ? (forward[String($0)] ?? 0) / k1ms : 0) })
        let report = Report(model: m.displayName, threads: threads, kernels: (MatMul.isa ?? .scalar).name,
                            kernels_detail: kernelsLine(),
                            transcoded_types_path: (m as? LlamaModel)?.transcodeNote,
                            prompt_tokens_per_s: Double(promptTokens) / (prompt / 1000),
                            decode_tokens_per_s: Double(decodeTokens) / (decode / 1000),
                            forward_ms: forward, peak_rss_mb: rss, breakdown_ms: breakdown,
                            roofline: roof, wide_pass_ratio: wideRatio)
        if output.json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys]
            print(String(decoding: try enc.encode(report), as: UTF8.self))
            return
        }
        print("model \(report.model), \(threads) threads")
        print("kernels: \(report.kernels_detail)")
        if let note = report.transcoded_types_path { print("Q5_0, Q5_1, IQ4_NL, Q3_K...Q6_K tensors: \(note)") }
        print(String(format: "prompt eval (%d tokens): %.1f tokens/s", promptTokens, report.prompt_tokens_per_s))
        print(String(format: "AR decode (%d tokens):  %.1f tokens/s", decodeTokens, report.decode_tokens_per_s))
        for k in ks {
            let ms = forward[String(k)] ?? 0
            print(String(format: "forward k=%-2d after %d: %7.2f ms  (%.2f ms/position)", k, prefix, ms, ms / Double(k)))
        }
        print("wide passes (Jacobi verifies k positions in one): " + wide.map { k in
            String(format: "k=%d costs %.2fx k=1", k, wideRatio[String(k)] ?? 0) }.joined(separator: ", ")
            + (roof.map { r in "; roofline floor " + wide.map { String(format: "%.2fx", r.floor_ratio[String($0)] ?? 0) }.joined(separator: ", ") } ?? ""))
        print(String(format: "peak RSS: %.0f MB", report.peak_rss_mb))
        if let r = roof {
            if m is LlamaModel {
                print(String(format: "roofline: read %.1f GB/s, peak VNNI %.0f G multiply-adds/s (measured, %d threads)",
                             r.read_gb_per_s, r.peak_vnni_gmac_per_s, threads))
            } else {
                print(String(format: "roofline: read %.1f GB/s (1 thread, a buffer the size of the weights: cache-resident), peak F32 FMA %.0f G multiply-adds/s on %d thread(s) (measured: the image model's wide passes), %.0f on 1 (its 1-position pass)",
                             r.read_gb_per_s, r.peak_fma_gmac_per_s, threads, r.peak_fma_1_thread_gmac_per_s))
            }
            print(String(format: "  one position: %.1f MB of weights -> memory floor %.2f ms; measured %.2f ms (%.1f GB/s)",
                         r.weight_mb_per_forward, r.memory_floor_ms, r.k1_ms, r.k1_gb_per_s))
            print(String(format: "  many positions: %.4f G multiply-adds each -> compute floor %.3f ms; measured %.3f ms at k=64 (%.0f G/s)",
                         r.gmac_per_position, r.compute_floor_ms_per_position, r.k64_ms_per_position, r.k64_gmac_per_s))
        }
        for (k, ops) in (breakdown ?? [:]).sorted(by: { Int($0.key)! < Int($1.key)! }) {
            print("breakdown k=\(k) (ms per forward): " + ops.sorted { $0.value > $1.value }
                .map { String(format: "%@ %.2f", $0.key, $0.value) }.joined(separator: ", "))
        }
    }

    private func argmax(_ v: [Float]) -> Int { v.indices.max { v[$0] < v[$1] } ?? 0 }

    private func time(_ body: () throws -> Void) rethrows -> Double {
        let t0 = MonotonicClock.ms(); try body(); return MonotonicClock.ms() - t0
    }

    private func median(_ n: Int, _ sample: () throws -> Double) rethrows -> Double {
        var xs: [Double] = []
        for _ in 0..<n { xs.append(try sample()) }
        xs.sort()
        return xs.count % 2 == 1 ? xs[xs.count / 2] : (xs[xs.count / 2 - 1] + xs[xs.count / 2]) / 2
    }

    private func peakRSSMegabytes() -> Double {
        var u = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &u)
        return Double(u.ru_maxrss) / 1024   // kilobytes on Linux
    }
}
