// SJD is lossless: over >= 2000 seeded runs, the distribution of the first three tokens matches
// the exact AR sampling distribution (chi-square p > 0.01), for random and spatial draft
// initialisation, with and without top-k, with and without maximal coupling. The same test with the
// deliberately broken accept-always rule must fail (p < 0.01), which shows the test has power.
import Testing
@testable import TokenloomDecoding
import TokenloomTestSupport

struct SJDLosslessTests {
    static let V = 5
    static let prompt = [2, 4]

    /// Exact P(t1, t2, t3) under AR sampling with `sampler`. // [V^3]
    static func exactJoint(_ model: ToyModel, _ sampler: SamplerSettings) throws -> [Double] {
        func dist(_ seq: [Int]) throws -> Distribution {
            let logits = try model.forward(tokens: seq, cache: model.makeCache())
            return Sampler.distribution(logits: logits.row(logits.rows - 1), settings: sampler)
        }
        var joint = [Double](repeating: 0, count: V * V * V)
        let p1 = try dist(prompt)
        for a in 0..<V where p1[a] > 0 {
            let p2 = try dist(prompt + [a])
            for b in 0..<V where p2[b] > 0 {
                let p3 = try dist(prompt + [a, b])
                for c in 0..<V { joint[(a * V + b) * V + c] = p1[a] * p2[b] * p3[c] }
            }
        }
        return joint
    }

    static func sjdCounts(_ model: ToyModel, _ sampler: SamplerSettings, samples: Int, L: Int, initScheme: DraftInit,
                          coupling: Bool, rule: SJDAcceptance) throws -> [Int] {
        var counts = [Int](repeating: 0, count: V * V * V)
        var accepted = 0, rejected = 0
        for seed in 0..<samples {
            let s = DecodeSettings(maxNewTokens: 7, sampler: sampler, seed: UInt64(seed))
            let d = try SJDDecoder(model: model, prompt: prompt, settings: s, window: L, initScheme: initScheme, coupling: coupling)
            d.acceptance = rule
            try runToEnd(d)
            let g = d.generated
            counts[(g[0] * V + g[1]) * V + g[2]] += 1
            accepted += d.stats.accepted; rejected += d.stats.drafted - d.stats.accepted
        }
        // Both branches of the rule must be exercised for the test to mean anything.
        #expect(accepted > samples / 2 && (rule == .acceptAlways || rejected > samples / 2))
        return counts
    }

    static let cases: [(SamplerSettings, DraftInit, Bool, Int)] = [
        (SamplerSettings(temperature: 1), .random, false, 4),
        (SamplerSettings(temperature: 1, topK: 3), .random, false, 16),
        (SamplerSettings(temperature: 0.8, topP: 0.9), .repeatLeft(gridWidth: 2), false, 4),
        (SamplerSettings(temperature: 1), .random, true, 4),
    ]

    @Test(arguments: 0..<cases.count)
    func firstThreeTokensMatchAR(caseIndex: Int) throws {
        let (sampler, initScheme, coupling, L) = Self.cases[caseIndex]
        let model = ToyModel(vocab: Self.V, seed: 5, scale: 1.5, prefixWeight: 0.5)
        let exact = try Self.exactJoint(model, sampler)
        let counts = try Self.sjdCounts(model, sampler, samples: 2400, L: L, initScheme: initScheme,
                                        coupling: coupling, rule: .speculative)
        let r = ChiSquare.pValue(observed: counts, expected: exact)
        #expect(r.p > 0.01, "chi2 \(r.chi2) df \(r.df) p \(r.p)")
    }

    @Test func acceptAlwaysIsDetected() throws {
        let sampler = SamplerSettings(temperature: 1)
        let model = ToyModel(vocab: Self.V, seed: 5, scale: 1.5, prefixWeight: 0.5)
        let exact = try Self.exactJoint(model, sampler)
        let counts = try Self.sjdCounts(model, sampler, samples: 2400, L: 4, initScheme: .random,
                                        coupling: false, rule: .acceptAlways)
        let r = ChiSquare.pValue(observed: counts, expected: exact)
        #expect(r.p < 0.01, "the broken rule passed: chi2 \(r.chi2) df \(r.df) p \(r.p)")
    }

    @Test func chiSquareCalibration() {
        #expect(abs(ChiSquare.upperGammaQ(0.5, 3.841 / 2) - 0.05) < 1e-3)     // df 1
        #expect(abs(ChiSquare.upperGammaQ(5, 18.307 / 2) - 0.05) < 1e-3)      // df 10
        #expect(abs(ChiSquare.upperGammaQ(50, 135.807 / 2) - 0.01) < 1e-3)   // df 100
    }

    /// The AR sampler itself passes the same test (the test's calibration).
    @Test func arSamplingMatchesExact() throws {
        let sampler = SamplerSettings(temperature: 1)
        let model = ToyModel(vocab: Self.V, seed: 5, scale: 1.5, prefixWeight: 0.5)
        let exact = try Self.exactJoint(model, sampler)
        var counts = [Int](repeating: 0, count: Self.V * Self.V * Self.V)
        for seed in 0..<2400 {
            let d = try AutoregressiveDecoder(model: model, prompt: Self.prompt,
                                              settings: DecodeSettings(maxNewTokens: 3, sampler: sampler, seed: UInt64(seed)))
            try runToEnd(d)
            counts[(d.generated[0] * Self.V + d.generated[1]) * Self.V + d.generated[2]] += 1
        }
        #expect(ChiSquare.pValue(observed: counts, expected: exact).p > 0.01)
    }

    /// At temperature 0 SJD is greedy Jacobi: exactly AR's tokens.
    @Test func greedySJDEqualsAR() throws {
        let model = ToyModel(vocab: 7, seed: 8, scale: 2, prefixWeight: 0.5)
        let s = DecodeSettings(maxNewTokens: 40)
        let ar = try AutoregressiveDecoder(model: model, prompt: [1, 2], settings: s)
        try runToEnd(ar)
        let sjd = try SJDDecoder(model: model, prompt: [1, 2], settings: s)
        try runToEnd(sjd)
        #expect(sjd.generated == ar.generated)
    }

    /// An image-style setup: a logit processor restricts the vocabulary to "image tokens" {1, 2, 3},
    /// random drafts come from that set, drafts repeat their left neighbour on a 2-wide grid. Every
    /// draft and output stays in the set, and the distribution is still AR's.
    @Test func restrictedVocabularyStaysLossless() throws {
        let model = ToyModel(vocab: Self.V, seed: 5, scale: 1.5, prefixWeight: 0.5)
        let sampler = SamplerSettings(temperature: 1)
        let mask: LogitProcessor = { _, z in z[0] = -.infinity; z[4] = -.infinity }
        func dist(_ seq: [Int]) throws -> Distribution {
            var z = try model.forward(tokens: seq, cache: model.makeCache()).row(seq.count - 1)
            mask(0, &z)
            return Sampler.distribution(logits: z, settings: sampler)
        }
        var exact = [Double](repeating: 0, count: Self.V * Self.V * Self.V)
        for a in 1...3 { for b in 1...3 { for c in 1...3 {
            exact[(a * Self.V + b) * Self.V + c] = try dist(Self.prompt)[a] * dist(Self.prompt + [a])[b] * dist(Self.prompt + [a, b])[c]
        } } }
        var counts = [Int](repeating: 0, count: Self.V * Self.V * Self.V)
        for seed in 0..<2400 {
            let s = DecodeSettings(maxNewTokens: 8, sampler: sampler, seed: UInt64(seed), logitProcessor: mask, draftTokens: [1, 2, 3])
            let d = try SJDDecoder(model: model, prompt: Self.prompt, settings: s, window: 4, initScheme: .repeatLeft(gridWidth: 2))
            let events = try runToEnd(d)
            for e in events { if case .draft(_, let t, _) = e { #expect((1...3).contains(t)) } }
            #expect(d.generated.allSatisfy { (1...3).contains($0) })
            let g = d.generated
            counts[(g[0] * Self.V + g[1]) * Self.V + g[2]] += 1
        }
        let r = ChiSquare.pValue(observed: counts, expected: exact)
        #expect(r.p > 0.01, "chi2 \(r.chi2) df \(r.df) p \(r.p)")
    }

    /// With a Jacobi interval, passes before and after it commit one token, and inside it the
    /// window never reaches past its end; the first three tokens stay AR's distribution.
    @Test func jacobiIntervalIsRespected() throws {
        let model = ToyModel(vocab: Self.V, seed: 5, scale: 1.5, prefixWeight: 0.5)
        let sampler = SamplerSettings(temperature: 1)
        var counts = [Int](repeating: 0, count: Self.V * Self.V * Self.V)
        for seed in 0..<2400 {
            let d = try SJDDecoder(model: model, prompt: Self.prompt, settings: DecodeSettings(maxNewTokens: 12, sampler: sampler, seed: UInt64(seed)),
                                   window: 4, jacobiRange: 1..<8)
            while !d.isFinished {
                let before = d.generated.count
                let ev = try d.step()
                let forwardCount = ev.compactMap { if case .forward(_, let c, _) = $0 { return c }; return nil }.first ?? 0
                if before >= 8 || before < 1 { #expect(d.generated.count - before == 1) }
                if before >= 1 && before < 8 { #expect(before + forwardCount <= 8) }
            }
            let g = d.generated
            counts[(g[0] * Self.V + g[1]) * Self.V + g[2]] += 1
        }
        let r = ChiSquare.pValue(observed: counts, expected: try Self.exactJoint(model, sampler))
        #expect(r.p > 0.01, "chi2 \(r.chi2) df \(r.df) p \(r.p)")
    }

    /// Every SJD pass commits between 1 and L tokens, and rejections are always followed by a resample.
    @Test func passesCommitOneToL() throws {
        let model = ToyModel(vocab: 6, seed: 2, scale: 2)
        let sjd = try SJDDecoder(model: model, prompt: [3], settings: DecodeSettings(maxNewTokens: 80, sampler: .init(), seed: 4), window: 6)
        var committedPerPass: [Int] = []
        while !sjd.isFinished {
            let ev = try sjd.step()
            committedPerPass.append(ev.reduce(0) { if case .commit(_, let t) = $1 { return $0 + t.count }; return $0 })
            for (i, e) in ev.enumerated() where e.name == "reject" { #expect(ev[i + 1].name == "resample") }
        }
        #expect(committedPerPass.allSatisfy { $0 >= 1 && $0 <= 6 })
        #expect(sjd.generated.count == 80)
    }
}
