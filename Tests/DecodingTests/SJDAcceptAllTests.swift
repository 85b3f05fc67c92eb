// sjd-accept-all is wrong on purpose: it keeps drafts sampled in an earlier pass without SJD's test.
// Built through the registry like any decoder, it accepts more drafts than SJD on the same seeds and
// its output is measurably not AR's (chi-square on the first three tokens, p < 0.01), while SJD's is.
import Testing
@testable import TokenloomDecoding
import TokenloomTestSupport

struct SJDAcceptAllTests {
    func counts(_ kind: DecoderKind, _ model: ToyModel, samples: Int) throws -> (counts: [Int], accepted: Int) {
        let V = SJDLosslessTests.V
        var counts = [Int](repeating: 0, count: V * V * V), accepted = 0
        var spec = DecoderSpec(kind: kind)
        spec.window = 4
        for seed in 0..<samples {
            let settings = DecodeSettings(maxNewTokens: 7, sampler: SamplerSettings(temperature: 1), seed: UInt64(seed))
            let d = try spec.make(DecoderInputs(model: model, prompt: SJDLosslessTests.prompt, settings: settings))
            try runToEnd(d)
            let g = d.generated
            counts[(g[0] * V + g[1]) * V + g[2]] += 1
            accepted += d.stats.accepted
        }
        return (counts, accepted)
    }

    @Test func itIsFasterAndVisiblyWrong() throws {
        let model = ToyModel(vocab: SJDLosslessTests.V, seed: 5, scale: 1.5, prefixWeight: 0.5)
        let exact = try SJDLosslessTests.exactJoint(model, SamplerSettings(temperature: 1))
        let lossy = try counts(.sjdAcceptAll, model, samples: 2400)
        let sjd = try counts(.sjd, model, samples: 2400)
        #expect(lossy.accepted > sjd.accepted, "accept-all \(lossy.accepted) vs SJD \(sjd.accepted)")
        let bad = ChiSquare.pValue(observed: lossy.counts, expected: exact)
        #expect(bad.p < 0.01, "sjd-accept-all passed for lossless: chi2 \(bad.chi2) df \(bad.df) p \(bad.p)")
        let good = ChiSquare.pValue(observed: sjd.counts, expected: exact)
        #expect(good.p > 0.01, "SJD: chi2 \(good.chi2) df \(good.df) p \(good.p)")
    }
}
