// SJD2 on the shipped image model: lossless (the joint of the first tokens matches AR's exact
// probabilities by chi-square, and a deliberately wrong acceptance rule is caught), deterministic
// for a seed, and a full 16x16 image in fewer passes than AR's 256.
import Foundation
import Testing
@testable import TokenloomDecoding
import TokenloomModels
import TokenloomTestSupport

func emojiModel(_ prompt: String) throws -> ImageARModel {
    try ImageARModel(path: try ModelStore.resolve("builtin:emoji"), prompt: prompt)
}

@Suite struct SJD2Tests {
    /// Exact joint of the first n tokens under AR with `sampler`, by enumeration over each prefix.
    func exactJoint(_ m: ImageARModel, n: Int, sampler: SamplerSettings) throws -> [[Int]: Double] {
        var out: [[Int]: Double] = [[]: 1]
        for _ in 0..<n {
            var next: [[Int]: Double] = [:]
            for (prefix, pr) in out {
                let logits = try m.forward(tokens: [m.boiToken] + prefix, cache: m.makeCache())
                let p = Sampler.distribution(logits: logits.row(logits.rows - 1), settings: sampler)
                for (t, q) in p.probs.enumerated() where q > 0 { next[prefix + [t], default: 0] += pr * Double(q) }
            }
            out = next
        }
        return out
    }

    func sjd2Counts(_ m: ImageARModel, n: Int, sampler: SamplerSettings, runs: Int, wrong: Bool,
                    window: Int = 3, steps: Int = 1, schedule: SJD2Decoder.Schedule = .perPass) throws -> [[Int]: Int] {
        var counts: [[Int]: Int] = [:]
        for seed in 0..<runs {
            let d = try SJD2Decoder(model: m, prompt: [m.boiToken],
                                    settings: DecodeSettings(maxNewTokens: n, sampler: sampler, seed: UInt64(seed)),
                                    window: window, steps: steps, schedule: schedule)
            d.acceptAlways = wrong
            while !d.isFinished { _ = try d.step() }
            counts[d.generated, default: 0] += 1
        }
        return counts
    }

    @Test func losslessAgainstExactAR() throws {
        // Flattened and cut to two tokens a position, so the joint of 4 tokens has 16 cells; window 3 and
        // one denoising step make the later passes verify clean drafts (accepts, rejects and a bonus).
        let m = try emojiModel("")
        let sampler = SamplerSettings(temperature: 4, topK: 2)
        let exact = try exactJoint(m, n: 4, sampler: sampler)
        let keys = exact.keys.sorted { $0.lexicographicallyPrecedes($1) }
        let runs = 3000
        let good = try sjd2Counts(m, n: 4, sampler: sampler, runs: runs, wrong: false)
        #expect(good.keys.allSatisfy { exact[$0] != nil }, "SJD2 produced a sequence AR cannot")
        let r = ChiSquare.pValue(observed: keys.map { good[$0] ?? 0 }, expected: keys.map { exact[$0]! })
        #expect(r.df >= 3)
        #expect(r.p > 0.001, "chi2 \(r.chi2) on \(r.df) df")
        let bad = try sjd2Counts(m, n: 4, sampler: sampler, runs: runs, wrong: true)
        let rb = ChiSquare.pValue(observed: keys.map { bad[$0] ?? 0 }, expected: keys.map { exact[$0]! })
        #expect(rb.p < 0.001, "the accept-always rule should be detected (chi2 \(rb.chi2))")
    }

    @Test func positionTiedScheduleIsLosslessToo() throws {
        // Window 4 with 2 steps: slots moving to index 0-1 jump straight to clean, 2-3 to step 1, so
        // multi-level DDIM jumps happen; the committed tokens must still follow AR exactly.
        let m = try emojiModel("")
        let sampler = SamplerSettings(temperature: 4, topK: 2)
        let exact = try exactJoint(m, n: 4, sampler: sampler)
        let keys = exact.keys.sorted { $0.lexicographicallyPrecedes($1) }
        let counts = try sjd2Counts(m, n: 4, sampler: sampler, runs: 3000, wrong: false, window: 4, steps: 2, schedule: .byPosition)
        #expect(counts.keys.allSatisfy { exact[$0] != nil })
        let r = ChiSquare.pValue(observed: keys.map { counts[$0] ?? 0 }, expected: keys.map { exact[$0]! })
        #expect(r.p > 0.001, "chi2 \(r.chi2) on \(r.df) df")
    }

    @Test func fullImageDeterministicAndFewerPasses() throws {
        let m = try emojiModel("grinning face")
        let settings = DecodeSettings(maxNewTokens: 256, sampler: SamplerSettings(temperature: 1), seed: 7)
        func run() throws -> (SJD2Decoder, [TraceEvent]) {
            let d = try SJD2Decoder(model: m, prompt: [m.boiToken], settings: settings)
            var ev: [TraceEvent] = []
            while !d.isFinished { ev += try d.step() }
            return (d, ev)
        }
        let (a, ea) = try run()
        let (b, eb) = try run()
        #expect(a.generated == b.generated)
        #expect(ea.count == eb.count)
        #expect(a.generated.count == 256 && a.generated.allSatisfy { $0 >= 0 && $0 < m.hp.colours })
        #expect(a.stats.forwardPasses < 256)
        #expect(a.stats.tokensCommitted == 256)
        #expect(ea.contains { if case .denoise = $0 { return true }; return false })
    }

    @Test func badSettingsThrow() throws {
        let m = try emojiModel("cat face")
        #expect(throws: DecodeError.self) { try SJD2Decoder(model: m, prompt: [m.boiToken], settings: DecodeSettings(), window: 0) }
        #expect(throws: DecodeError.self) { try SJD2Decoder(model: m, prompt: [m.boiToken], settings: DecodeSettings(), steps: 99) }
    }
}
