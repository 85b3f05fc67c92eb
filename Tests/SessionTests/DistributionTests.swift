// Distribution's bookkeeping on hand-made samples: which positions are tested, Holm over them, the
// first position against the exact distribution, the note when a pane samples with other settings,
// and seed streams that never coincide between panes.
import Testing
import TokenloomDecoding
@testable import TokenloomSession

@Suite struct DistributionTests {
    /// AR and B over 40 runs of 3 tokens; B's runs stop after 1 token in 30 of them (position 2 has
    /// 10 runs of B, too few to test).
    static func sample(samplers: [SamplerSettings?] = [SamplerSettings(temperature: 1), SamplerSettings(temperature: 1)]) -> DistributionSample {
        let ar = (0..<40).map { [$0 % 2, 7, $0 % 4] }
        let b = (0..<40).map { r in r < 30 ? [r % 2] : [r % 2, 7, 1] }
        var s = DistributionSample(names: ["AR", "B"], outputs: [ar, b], passes: [Array(repeating: 3, count: 40), Array(repeating: 1, count: 40)],
                                   seconds: [2, 1], exactFirst: [0: 0.5, 1: 0.5], reference: 0)
        s.samplers = samplers
        return s
    }

    @Test func positionsWithTooFewRunsAreNotTested() {
        let v = Distribution.verdicts(Self.sample())
        #expect(v[0].tests.isEmpty && v[0].holmP == 1)
        // Position 0: 20/20 in both; position 1: B has 10 runs, under the 20 a test needs.
        #expect(v[1].tests.map(\.position) == [0])
        #expect(v[1].tests[0].p > 0.99)
        #expect(v[1].exactFirstP.map { $0 > 0.99 } == true)
        #expect(v[1].tokensPerPass == Double(30 * 1 + 10 * 3) / 40)
        #expect(v[1].sentence(reference: "AR") == "no detectable difference from AR at N = 40 (Holm p = 1.00)")
    }

    @Test func otherSamplerSettingsAreNamed() {
        let v = Distribution.verdicts(Self.sample(samplers: [.greedy, SamplerSettings(temperature: 0.7, topP: 0.9)]))
        #expect(v[1].sentence(reference: "AR").hasSuffix("; it samples with T 0.7, top-p 0.9 against greedy decoding, so it is not AR's distribution to begin with"))
        #expect(v[0].settingsDiffer == nil)
    }

    @Test func seedStreamsDifferAcrossPanesAndRuns() {
        var seen = Set<UInt64>()
        for pane in 0..<4 { for run in 0..<500 { seen.insert(Distribution.seed(base: 42, pane: pane, run: run)) } }
        #expect(seen.count == 2000)
    }

    @Test func pTextReadsAsWords() {
        #expect(LosslessVerdict.pText(0.4123) == "0.41")
        #expect(LosslessVerdict.pText(0.00321) == "0.0032")
        #expect(LosslessVerdict.pText(3.14e-9) == "3.1e-09")
        #expect(LosslessVerdict.pText(0) == "< 1e-300")
    }
}
