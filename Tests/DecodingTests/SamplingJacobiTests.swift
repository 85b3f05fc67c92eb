// Sampling Jacobi (the papers' baseline) is exact: over 2,400 seeded runs the distribution of the
// first three tokens matches the exact AR sampling joint (chi-square p > 0.01), with and without
// top-k; the variant that compares each draft with its own row's sample instead of the row before
// it is caught (p < 0.01). At temperature 0 it is greedy Jacobi (same tokens as greedy AR). It
// accepts few drafts: that is why SJD exists.
import Testing
@testable import TokenloomDecoding
import TokenloomTestSupport

struct SamplingJacobiTests {
    static func counts(_ model: ToyModel, _ sampler: SamplerSettings, samples: Int, W: Int,
                       wrong: Bool = false) throws -> (counts: [Int], acceptance: Double) {
        let V = SJDLosslessTests.V
        var counts = [Int](repeating: 0, count: V * V * V)
        var drafted = 0, accepted = 0
        for seed in 0..<samples {
            let s = DecodeSettings(maxNewTokens: 7, sampler: sampler, seed: UInt64(seed))
            let d = try JacobiDecoder(model: model, prompt: SJDLosslessTests.prompt, settings: s, window: W)
            d.compareWithOwnRow = wrong
            try runToEnd(d)
            let g = d.generated
            counts[(g[0] * V + g[1]) * V + g[2]] += 1
            drafted += d.stats.drafted; accepted += d.stats.accepted
        }
        return (counts, Double(accepted) / Double(max(drafted, 1)))
    }

    @Test(arguments: [SamplerSettings(temperature: 1), SamplerSettings(temperature: 0.8, topK: 3)])
    func firstThreeTokensMatchAR(sampler: SamplerSettings) throws {
        let model = ToyModel(vocab: SJDLosslessTests.V, seed: 5, scale: 1.5, prefixWeight: 0.5)
        let exact = try SJDLosslessTests.exactJoint(model, sampler)
        let (counts, acceptance) = try Self.counts(model, sampler, samples: 2400, W: 4)
        let r = ChiSquare.pValue(observed: counts, expected: exact)
        #expect(r.p > 0.01, "chi2 \(r.chi2) df \(r.df) p \(r.p)")
        // Both outcomes of the match test happen, so both paths were exercised.
        #expect(acceptance > 0.05 && acceptance < 0.95, "acceptance \(acceptance)")
    }

    @Test func comparingWithTheWrongRowIsCaught() throws {
        let sampler = SamplerSettings(temperature: 1)
        let model = ToyModel(vocab: SJDLosslessTests.V, seed: 5, scale: 1.5, prefixWeight: 0.5)
        let exact = try SJDLosslessTests.exactJoint(model, sampler)
        let (counts, _) = try Self.counts(model, sampler, samples: 2400, W: 4, wrong: true)
        let r = ChiSquare.pValue(observed: counts, expected: exact)
        #expect(r.p < 0.01, "the wrong variant passed: chi2 \(r.chi2) df \(r.df) p \(r.p)")
    }

    @Test func greedyIsPlainJacobiAndNamedSo() throws {
        let model = ToyModel(vocab: 12, seed: 9)
        let greedy = DecodeSettings(maxNewTokens: 20, sampler: .greedy, seed: 1)
        let ar = try AutoregressiveDecoder(model: model, prompt: [3, 4], settings: greedy)
        try runToEnd(ar)
        let j = try JacobiDecoder(model: model, prompt: [3, 4], settings: greedy, window: 6)
        try runToEnd(j)
        #expect(j.generated == ar.generated && j.name == "Jacobi")
        let sampled = try JacobiDecoder(model: model, prompt: [3, 4],
                                        settings: DecodeSettings(maxNewTokens: 20, sampler: SamplerSettings(temperature: 1), seed: 1))
        #expect(sampled.name == "Sampling Jacobi")
    }
}
