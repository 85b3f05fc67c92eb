// `tokenloom bench decoders` on an image model: per decoder forward passes, tokens per pass, wall time,
// speed-up over AR in the same run (passes and wall), quality against the training references
// (retrieval accuracy, mean pixel error), the measured cost of a k-position pass, and a projected
// latency for a memory-bound setting computed from the pass counts (a projection, not a measurement).
// AR and every decoder get the same thread budget (--threads) in the same run; the image model takes
// more than one thread only for passes of 8 or more positions. Each run's process CPU time (every
// thread, the kernel pool's workers included) is reported beside its wall time: on a shared, loaded
// machine it is the steadier measure of compute, and with threads it shows what the wall time cost.
import ArgumentParser
import Foundation
import TokenloomModels
import TokenloomDecoding
import TokenloomKernels

struct ImageBenchOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Image models: runs per prompt; run s of prompt i uses seed base + i*N + s.")
    var seeds: Int = 1

    @Option(parsing: .unconditional, help: "Projection: bytes of weights read per forward pass, in GB (default: a 7B fp16 model).")
    var projectModelGb: Double = 14

    @Option(parsing: .unconditional, help: "Projection: memory bandwidth in GB/s (default: one H100's HBM3).")
    var projectBandwidthGbs: Double = 3350

    func validate() throws {
        try check(seeds, in: 1...10_000, "--seeds")
        if !(projectModelGb > 0 && projectModelGb.isFinite) {
            throw ValidationError("--project-model-gb must be a positive number, got \(projectModelGb)")
        }
        if !(projectBandwidthGbs > 0 && projectBandwidthGbs.isFinite) {
            throw ValidationError("--project-bandwidth-gbs must be a positive number, got \(projectBandwidthGbs)")
        }
    }
}

extension BenchDecodersCommand {
    /// A decoder column: its label and spec; besides the registry's names, sjd-random / sjd-repeat
    /// (SJD's draft initialisation) and sjd2-pass / sjd2-position (SJD2's noise schedule).
    struct ImageEntry { let label: String; let spec: DecoderSpec }

    static func imageEntries(_ list: String, _ options: DecoderOptions) throws -> [ImageEntry] {
        var out = [ImageEntry(label: "ar", spec: options.spec(.ar))]
        for name in list.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) where !name.isEmpty {
            var spec: DecoderSpec
            switch name {
            case "sjd-random", "sjd-repeat": spec = options.spec(.sjd); spec.initRandom = name == "sjd-random"
            case "sjd2-pass", "sjd2-position":
                spec = options.spec(.sjd2); spec.sjd2Schedule = name == "sjd2-pass" ? .perPass : .byPosition
            default: spec = options.spec(try DecoderRegistry.lookup(name).kind)
            }
            try spec.entry.check(.image)
            try spec.validate()
            if !out.contains(where: { $0.label == name }) { out.append(ImageEntry(label: name, spec: spec)) }
        }
        return out
    }

    struct ImageRow: Encodable {
        let decoder: String, category: String, prompt: String, seed: UInt64
        let forward_passes: Int, positions: Int, tokens: Int, wall_ms: Double, cpu_ms: Double
        let drafted: Int, accepted: Int
        let retrieved: Bool?, pixel_error: Double?
    }

    struct Quality: Encodable {
        let retrieval_accuracy: Double
        let mean_pixel_error: Double
        let scored_runs: Int
    }

    struct ImageSummary: Encodable {
        let decoder: String
        let forward_passes: Int, forward_passes_per_image: Double, positions_per_image: Double
        let tokens: Int, tokens_per_pass: Double, wall_ms: Double, wall_ms_per_image: Double, cpu_ms_per_image: Double
        let speedup_passes: Double, speedup_wall: Double, speedup_cpu: Double, acceptance_rate: Double
        let quality: Quality?
        let projected_ms_per_image: Double
    }

    /// A k-position forward pass: median process CPU time (all threads) and wall time, and each
    /// relative to k = 1.
    struct PassCost: Encodable {
        let k: Int; let cpu_ms: Double; let wall_ms: Double; let relative: Double; let relative_wall: Double
    }

    struct Projection: Encodable {
        let model_gb: Double, bandwidth_gbs: Double, ms_per_pass: Double
        let note: String
    }

    func runImage(_ target: ModelTarget, options: ImageBenchOptions) throws {
        guard let weights = target.imageWeights else { return }
        let entries = try Self.imageEntries(decoders ?? "sjd,sjd-repeat,sjd2", decoding)
        let list = try Self.readPrompts(prompts)
        let untrained = list.filter { weights.promptIndex($0.text) == nil }.map(\.text)
        if !untrained.isEmpty {
            fputs("note: not in training, so not scored: \(untrained.joined(separator: ", "))\n", stderr)
        }
        var rows: [ImageRow] = []
        // Every (prompt, seed) run gets its own seed, base + prompt index x seeds + s, so the runs'
        // random streams are independent; every decoder of a run shares it.
        for (pi, p) in list.enumerated() {
            let prepared = try target.prepare(prompt: p.text, maxNewTokens: weights.hp.imageTokens)
            for s in 0..<options.seeds {
                let seed = decoding.seed &+ UInt64(pi * options.seeds + s)
                for e in entries {
                    let d = try target.makeDecoder(e.spec, for: prepared, seed: seed)
                    var positions = 0
                    let c0 = MonotonicClock.processCpuMs()
                    let wall = try runDecoder(d) { events in
                        for ev in events { if case .forward(_, let c, _) = ev { positions += c } }
                    }
                    let cpu = MonotonicClock.processCpuMs() - c0
                    let score = ImageScore(d.generated, prompt: p.text, weights: weights)
                    rows.append(ImageRow(decoder: e.label, category: p.category, prompt: p.text, seed: seed,
                                         forward_passes: d.stats.forwardPasses, positions: positions,
                                         tokens: d.generated.count, wall_ms: wall, cpu_ms: cpu, drafted: d.stats.drafted,
                                         accepted: d.stats.accepted, retrieved: score.retrieved, pixel_error: score.pixelError))
                    if !output.json {
                        fputs("'\(p.text)' seed \(seed) \(e.label): \(d.stats.forwardPasses) passes, "
                              + String(format: "%.0f ms", wall) + "\n", stderr)
                    }
                }
            }
        }
        let msPerPass = options.projectModelGb / options.projectBandwidthGbs * 1000
        let images = Double(list.count * options.seeds)
        let ar = rows.filter { $0.decoder == "ar" }
        let arPasses = Double(ar.reduce(0) { $0 + $1.forward_passes }), arWall = ar.reduce(0) { $0 + $1.wall_ms }
        let arCpu = ar.reduce(0) { $0 + $1.cpu_ms }
        var summaries: [ImageSummary] = []
        for e in entries {
            let r = rows.filter { $0.decoder == e.label }
            let passes = r.reduce(0) { $0 + $1.forward_passes }, toks = r.reduce(0) { $0 + $1.tokens }
            let wall = r.reduce(0) { $0 + $1.wall_ms }, cpu = r.reduce(0) { $0 + $1.cpu_ms }, positions = r.reduce(0) { $0 + $1.positions }
            let drafted = r.reduce(0) { $0 + $1.drafted }, accepted = r.reduce(0) { $0 + $1.accepted }
            let scored = r.filter { $0.retrieved != nil }
            let quality = scored.isEmpty ? nil : Quality(
                retrieval_accuracy: Double(scored.filter { $0.retrieved == true }.count) / Double(scored.count),
                mean_pixel_error: scored.reduce(0) { $0 + ($1.pixel_error ?? 0) } / Double(scored.count),
                scored_runs: scored.count)
            summaries.append(ImageSummary(
                decoder: e.label, forward_passes: passes, forward_passes_per_image: Double(passes) / images,
                positions_per_image: Double(positions) / images, tokens: toks,
                tokens_per_pass: Double(toks) / Double(max(passes, 1)), wall_ms: wall, wall_ms_per_image: wall / images,
                cpu_ms_per_image: cpu / images, speedup_passes: arPasses / Double(max(passes, 1)),
                speedup_wall: arWall / max(wall, 1e-9), speedup_cpu: arCpu / max(cpu, 1e-9),
                acceptance_rate: drafted == 0 ? 0 : Double(accepted) / Double(drafted), quality: quality,
                projected_ms_per_image: Double(passes) / images * msPerPass))
        }
        let costs = try Self.passCosts(try target.prepare(prompt: list[0].text, maxNewTokens: 1).image!, ks: [1, 16, 80])
        let projection = Projection(
            model_gb: options.projectModelGb, bandwidth_gbs: options.projectBandwidthGbs, ms_per_pass: msPerPass,
            note: "a projection, not a measurement: a memory-bound pass reads every weight once whatever its position "
                + "count (k positions fit in the time of one while k is small), so latency = passes x bytes / bandwidth")
        if output.json {
            struct Out: Encodable {
                let model: String; let prompts: Int; let seeds: Int; let threads: Int; let temperature: Double
                let summary: [ImageSummary]; let pass_cost: [PassCost]; let projection: Projection; let runs: [ImageRow]
            }
            print(try jsonString(Out(model: target.ref, prompts: list.count, seeds: options.seeds, threads: target.imageThreads,
                                     temperature: decoding.spec(.ar).sampler(on: .image).temperature,
                                     summary: summaries, pass_cost: costs, projection: projection, runs: rows)))
            return
        }
        print("\(target.ref): \(list.count) prompts x \(options.seeds) seeds, "
              + String(format: "temperature %.2f", decoding.spec(.ar).sampler(on: .image).temperature)
              + ", threads \(target.imageThreads) for AR and every decoder alike (only passes of 8+ positions use more than one)"
              + "; sjd window \(decoding.window ?? 16), sjd2 window \(decoding.window ?? 80) levels \(decoding.levels ?? 20)")
        // cpu ms/img: process CPU time, all threads.
        print("decoder     passes/img  tok/pass  positions/img  wall ms/img  cpu ms/img  speed-up passes  wall    cpu  retrieval  pixel err  projected ms/img")
        for s in summaries {
            let q = s.quality.map { String(format: "%9.3f %10.2f", $0.retrieval_accuracy, $0.mean_pixel_error) }
                ?? String(repeating: " ", count: 9) + "-" + String(repeating: " ", count: 10) + "-"
            print(s.decoder.padding(toLength: 11, withPad: " ", startingAt: 0)
                  + String(format: "%10.1f %9.2f %14.1f %12.0f %11.0f %15.2fx %5.2fx %5.2fx ", s.forward_passes_per_image,
                           s.tokens_per_pass, s.positions_per_image, s.wall_ms_per_image, s.cpu_ms_per_image,
                           s.speedup_passes, s.speedup_wall, s.speedup_cpu)
                  + q + String(format: " %17.0f", s.projected_ms_per_image))
        }
        print("pass cost on this machine (wall / process CPU time): " + costs.map {
                String(format: "k=%d %.2f / %.2f ms (%.1fx / %.1fx)", $0.k, $0.wall_ms, $0.cpu_ms, $0.relative_wall, $0.relative) }
            .joined(separator: ", ") + " of a 1-position pass; this small model is compute-bound, so a k-position pass "
            + "costs many times more and fewer passes need not mean less wall time")
        print(String(format: "projected: %.0f GB read per pass at %.0f GB/s = %.2f ms per pass; projected ms/img = passes x that. ",
                     options.projectModelGb, options.projectBandwidthGbs, msPerPass)
              + "This is a projection for a memory-bound model, not a measurement.")
    }

    /// Median process CPU and wall time of a forward pass over k positions (the BOI token then k - 1 image
    /// tokens) on a fresh cache, and its CPU time relative to the 1-position pass.
    static func passCosts(_ m: ImageARModel, ks: [Int], repeats: Int = 9) throws -> [PassCost] {
        var cpu: [Int: Double] = [:], wall: [Int: Double] = [:]
        for k in ks where k >= 1 && k <= m.contextLength {
            let inputs: [ModelInput] = [.token(m.boiToken)] + (0..<(k - 1)).map { .token($0 % m.hp.colours) }
            var c: [Double] = [], w: [Double] = []
            for _ in 0..<repeats {
                let cache = m.makeCache()
                let c0 = MonotonicClock.processCpuMs(), w0 = MonotonicClock.ms()
                _ = try m.forward(inputs, cache: cache)
                w.append(MonotonicClock.ms() - w0); c.append(MonotonicClock.processCpuMs() - c0)
            }
            cpu[k] = c.sorted()[c.count / 2]; wall[k] = w.sorted()[w.count / 2]
        }
        let one = cpu[1] ?? 1, oneWall = wall[1] ?? 1
        return ks.compactMap { k in
            guard let c = cpu[k], let w = wall[k] else { return nil }
            return PassCost(k: k, cpu_ms: c, wall_ms: w, relative: c / max(one, 1e-9), relative_wall: w / max(oneWall, 1e-9))
        }
    }
}
