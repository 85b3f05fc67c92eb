// SJD2 with a window long enough for noisy slots to survive several passes (n = 8, W = 6, K = 3):
// unlike the n = 4 lossless tests, passes stop mid-window at a noisy slot after accepting clean
// drafts, and noisy slots take DDIM steps that leave them noisy; both are counted, for both
// schedules. The output is AR's: no sequence AR cannot produce, and every window of 1 to 3 tokens
// matches the exact AR marginals (chi-square, Holm over the 21 windows). "grinning face" at
// temperature 3, top-2: pixels 4-7 change colour, so committing the next row's sample at a noisy
// stop (the variant kept as a switch) is caught.
import Testing
@testable import TokenloomDecoding
import TokenloomModels

struct SJD2NoisyStopTests {
    static let n = 8
    static let sampler = SamplerSettings(temperature: 3, topK: 2)

    /// Exact P(t_0 ... t_n-1) under AR, by enumeration over each prefix (a cache copy per branch).
    static func exactJoint(_ m: ImageARModel) throws -> [[Int]: Double] {
        var out: [[Int]: Double] = [:]
        func visit(_ seq: [Int], _ pr: Double, _ cache: KVCache, _ input: Int) throws {
            guard seq.count < n else { out[seq] = pr; return }
            let c = cache.copy()
            let logits = try m.forward(tokens: [input], cache: c)
            let p = Sampler.distribution(logits: logits.row(0), settings: sampler)
            for t in 0..<p.vocab where p[t] > 0 { try visit(seq + [t], pr * p[t], c, t) }
        }
        try visit([], 1, m.makeCache(), m.boiToken)
        return out
    }

    struct Result { var p: Double; var raw: [Double]; var impossible: Int; var midStops: Int; var ddimSteps: Int }

    static func run(_ schedule: SJD2Decoder.Schedule, wrong: Bool, runs: Int = 200) throws -> Result {
        let m = try emojiModel("grinning face")
        let exact = try exactJoint(m)
        let W = 6
        var counts: [[Int]: Int] = [:]
        var midStops = 0, ddimSteps = 0
        for seed in 0..<runs {
            let d = try SJD2Decoder(model: m, prompt: [m.boiToken],
                                    settings: DecodeSettings(maxNewTokens: n, sampler: sampler, seed: UInt64(seed)),
                                    window: W, steps: 3, schedule: schedule)
            d.commitNextRowAtNoisyStop = wrong
            while !d.isFinished {
                let slots = max(0, min(W, n - d.generated.count - 1))     // the pass's window (Leff)
                let ev = try d.step()
                let accepted = ev.filter { $0.name == "accept" }.count
                // No rejection, some drafts accepted, not the whole window: it stopped at a noisy slot.
                if !ev.contains(where: { $0.name == "reject" }) && accepted > 0 && accepted < slots { midStops += 1 }
                for e in ev { if case .denoise(_, let level) = e, level > 0 { ddimSteps += 1 } }
            }
            counts[d.generated, default: 0] += 1
        }
        var raw: [Double] = []
        for w in 1...3 {
            for i in 0...(n - w) {
                var e: [[Int]: Double] = [:], o: [[Int]: Int] = [:]
                for (s, pr) in exact { e[Array(s[i..<(i + w)]), default: 0] += pr }
                for (s, c) in counts { o[Array(s[i..<(i + w)]), default: 0] += c }
                let keys = Set(e.keys).union(o.keys).sorted { $0.lexicographicallyPrecedes($1) }
                raw.append(ChiSquare.pValue(observed: keys.map { o[$0] ?? 0 }, expected: keys.map { e[$0] ?? 0 }).p)
            }
        }
        let impossible = counts.filter { exact[$0.key] == nil }.values.reduce(0, +)
        return Result(p: ChiSquare.holm(raw).min()!, raw: raw, impossible: impossible, midStops: midStops, ddimSteps: ddimSteps)
    }

    @Test(arguments: SJD2Decoder.Schedule.allCases)
    func midWindowNoisyStopsStayLossless(schedule: SJD2Decoder.Schedule) throws {
        let r = try Self.run(schedule, wrong: false)
        #expect(r.midStops >= 20 && r.ddimSteps >= 200, "mid-window noisy stops \(r.midStops), DDIM steps \(r.ddimSteps)")
        #expect(r.impossible == 0, "\(r.impossible) outputs AR cannot produce")
        #expect(r.p > 0.01, "Holm p \(r.p), per window \(r.raw)")
    }

    @Test(arguments: SJD2Decoder.Schedule.allCases)
    func committingTheNextRowAtANoisyStopIsCaught(schedule: SJD2Decoder.Schedule) throws {
        let r = try Self.run(schedule, wrong: true)
        #expect(r.p < 1e-3, "the wrong row passed: Holm p \(r.p), per window \(r.raw), impossible \(r.impossible)")
    }
}
