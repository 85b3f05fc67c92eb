// The image-decoder report of issue 5, run on demand (it takes minutes):
//   TOKENLOOM_IMAGE_REPORT=examples/gallery swift test --filter SJD2ImageReport
// Over 32 training prompts (seeds 0..31, temperature 1): forward passes, positions evaluated, wall
// time, retrieval accuracy and mean pixel error of AR, SJD (random and repeat-left init, L = 16) and
// SJD2 (W = 80, K = 20 with the default position-tied schedule and the per-pass one, and K = 10, 5; TOKENLOOM_IMAGE_DECODERS picks a subset), one PNG per decoder into the folder; then the fuser ablation: AR images of
// encoder-only and fused models for prompts phrased unlike the training names.
import Foundation
import Testing
@testable import TokenloomDecoding
import TokenloomModels
import TokenloomTestSupport

private let reportDir = ProcessInfo.processInfo.environment["TOKENLOOM_IMAGE_REPORT"]

@Suite struct SJD2ImageReport {
    func generate(_ name: String, _ m: ImageARModel, seed: UInt64) throws -> (tokens: [Int], stats: DecodeStats, positions: Int, ms: Double) {
        let settings = DecodeSettings(maxNewTokens: m.hp.imageTokens, sampler: SamplerSettings(temperature: 1), seed: seed,
                                      draftTokens: Array(0..<m.hp.colours))
        let d: Decoder
        switch name {
        case "AR": d = try AutoregressiveDecoder(model: m, prompt: [m.boiToken], settings: settings)
        case "SJD-random": d = try SJDDecoder(model: m, prompt: [m.boiToken], settings: settings, window: 16, initScheme: .random)
        case "SJD-repeat": d = try SJDDecoder(model: m, prompt: [m.boiToken], settings: settings, window: 16,
                                              initScheme: .repeatLeft(gridWidth: m.hp.grid))
        case "SJD2-pass":   // K = 20, every noisy slot one step per pass
            d = try SJD2Decoder(model: m, prompt: [m.boiToken], settings: settings, window: 80, steps: 20, schedule: .perPass)
        default:   // "SJD2" (K = 20) or "SJD2-K<steps>", default schedule
            let K = name.hasPrefix("SJD2-K") ? Int(name.dropFirst(6)) ?? 20 : 20
            d = try SJD2Decoder(model: m, prompt: [m.boiToken], settings: settings, window: 80, steps: K)
        }
        var positions = 0
        let t0 = Date()
        while !d.isFinished {
            for e in try d.step() { if case .forward(_, let c, _) = e { positions += c } }
        }
        return (d.generated, d.stats, positions, Date().timeIntervalSince(t0) * 1000)
    }

    @Test(.enabled(if: reportDir != nil, "set TOKENLOOM_IMAGE_REPORT to an output folder"))
    func decoders() throws {
        let dir = try #require(reportDir)
        let base = try ImageARModel(path: try ModelStore.resolve("builtin:emoji"), prompt: "")
        let w = base.weights
        let prompts = stride(from: 0, to: w.prompts.count, by: w.prompts.count / 32).prefix(32).map { w.prompts[$0] }
        var arPasses = 0.0, arMs = 0.0
        print("decoder     passes/img  positions/img  ms/img   tok/pass  speedup(passes)  speedup(wall)  retrieval  pixel-err")
        for name in (ProcessInfo.processInfo.environment["TOKENLOOM_IMAGE_DECODERS"]?.split(separator: ",").map(String.init)
                     ?? ["AR", "SJD-random", "SJD-repeat", "SJD2", "SJD2-pass", "SJD2-K10", "SJD2-K5"]) {
            var passes = 0, positions = 0, ms = 0.0, hits = 0, err = 0.0
            for (i, p) in prompts.enumerated() {
                let m = try base.with(prompt: p)
                let r = try generate(name, m, seed: UInt64(i))
                passes += r.stats.forwardPasses; positions += r.positions; ms += r.ms
                let idx = try #require(w.promptIndex(p))
                if w.nearestReference(to: r.tokens) == idx { hits += 1 }
                err += w.pixelError(r.tokens, reference: idx)
            }
            // The gallery: one image per decoder of one prompt, seed 0.
            let g = try generate(name, try base.with(prompt: "grinning face"), seed: 0)
            let png = PNGWriter.encode(rgb: w.pixels(of: g.tokens), width: w.hp.grid, height: w.hp.grid, scale: 8)
            try Data(png).write(to: URL(fileURLWithPath: "\(dir)/grinning-face-\(name.lowercased()).png"))
            let n = Double(prompts.count)
            if name == "AR" { arPasses = Double(passes) / n; arMs = ms / n }
            print(String(format: "%-11@ %10.1f %14.1f %8.0f %10.2f %16.2f %14.2f %10.3f %10.2f", name as NSString,
                         Double(passes) / n, Double(positions) / n, ms / n, Double(256 * prompts.count) / Double(passes),
                         arPasses / (Double(passes) / n), arMs / (ms / n), Double(hits) / n, err / n))
        }
    }

    /// Paraphrases the encoder never saw, each with the training prompt it means.
    static let paraphrases: [(String, String)] = [
        ("puppy", "dog face"), ("space rocket", "rocket"), ("kitty", "cat face"), ("happy face", "grinning face"),
        ("car", "automobile"), ("plane", "small airplane"), ("apple", "red apple"), ("pizza slice", "pizza"),
        ("rainy weather", "cloud with rain"), ("snowing", "cloud with snow"), ("moon", "full moon"),
        ("tree", "deciduous tree"), ("bunny", "rabbit face"), ("ice cream cone", "soft ice cream"),
        ("heart eyes", "smiling face with heart-eyes"), ("laughing", "face with tears of joy"),
        ("asleep", "sleeping face"), ("mad face", "angry face"), ("fire truck", "fire engine"),
        ("steam train", "locomotive"), ("bike", "bicycle"), ("thunderstorm", "cloud with lightning and rain"),
        ("sunny", "sun"), ("corn", "ear of corn"), ("burger", "hamburger"), ("fries", "french fries"),
        ("donut", "doughnut"), ("cop car", "police car"), ("kitten", "cat"), ("doggy", "dog"),
        ("hot chili", "hot pepper"), ("pine tree", "evergreen tree"),
    ]

    @Test(.enabled(if: reportDir != nil, "set TOKENLOOM_IMAGE_REPORT to an output folder"))
    func fuserAblation() throws {
        let enc = try ImageARModel(path: try ModelStore.resolve("builtin:emoji"), prompt: "")
        let llm = try LlamaModel(path: try TestModels.smolLM2(), cacheCapacity: 64)
        let fused = try ImageARModel(path: try ModelStore.resolve("builtin:emoji-fused"), prompt: "", llm: llm)
        let seeds: [UInt64] = [0, 1, 2, 3]
        for (label, model) in [("encoder-only", enc), ("fused", fused)] {
            var hits = 0, err = 0.0, n = 0, gate = 0.0
            for (p, target) in SJD2ImageReport.paraphrases {
                let m = try model.with(prompt: p, llm: label == "fused" ? llm : nil)
                gate += Double(m.condition.gates.reduce(0, +)) / Double(max(1, m.condition.gates.count))
                let idx = try #require(m.weights.promptIndex(target), "\(target) is not a training prompt")
                for s in seeds {
                    let r = try generate("AR", m, seed: s)
                    if m.weights.nearestReference(to: r.tokens) == idx { hits += 1 }
                    err += m.weights.pixelError(r.tokens, reference: idx); n += 1
                }
            }
            print(String(format: "ablation %-12@ %d paraphrases x %d seeds: retrieval of the meant emoji %.3f, pixel error %.2f, mean gate %.3f",
                         label as NSString, SJD2ImageReport.paraphrases.count, seeds.count, Double(hits) / Double(n),
                         err / Double(n), gate / Double(SJD2ImageReport.paraphrases.count)))
        }
    }
}
