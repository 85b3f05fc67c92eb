// The statistics behind the losslessness checks: two-sample homogeneity keeps its level when both
// samples come from one distribution and finds a small shift; Holm's adjustment by hand.
import Testing
@testable import TokenloomDecoding

@Suite struct ChiSquareTests {
    /// n tokens drawn from `probs` with a seeded generator, as counts by token.
    func sample(_ probs: [Double], _ n: Int, _ rng: inout SeededRNG) -> [Int: Int] {
        var out: [Int: Int] = [:]
        for _ in 0..<n {
            var u = rng.uniform(), k = 0
            while k < probs.count - 1, u >= probs[k] { u -= probs[k]; k += 1 }
            out[k, default: 0] += 1
        }
        return out
    }

    @Test func sameDistributionKeepsItsLevelAndAShiftIsFound() {
        let p = [0.4, 0.3, 0.2, 0.05, 0.03, 0.02]
        let q = [0.32, 0.3, 0.2, 0.1, 0.05, 0.03]          // total variation 0.08 from p
        var rng = SeededRNG(seed: 7)
        var falseAlarms = 0
        for _ in 0..<200 where ChiSquare.twoSample(sample(p, 300, &rng), sample(p, 300, &rng)).p < 0.05 { falseAlarms += 1 }
        // Level 0.05 over 200 trials: about 10 expected; 20 or more has binomial probability < 0.002.
        #expect(falseAlarms < 20, "\(falseAlarms) of 200 same-distribution pairs rejected at 0.05")
        var found = 0
        for _ in 0..<50 where ChiSquare.twoSample(sample(p, 1000, &rng), sample(q, 1000, &rng)).p < 0.01 { found += 1 }
        #expect(found >= 40, "a shift of 0.08 in total variation found in only \(found) of 50 pairs at n = 1000")
    }

    @Test func rareTokensArePooledAndDegenerateTablesArePOne() {
        // Token 9 appears once in each: pooled with the other rare ones, not a column of its own.
        let r = ChiSquare.twoSample([0: 50, 1: 50, 9: 1], [0: 50, 1: 50, 9: 1])
        #expect(r.df == 1 && r.p > 0.99)
        #expect(ChiSquare.twoSample([0: 100], [0: 100]).p == 1)
        #expect(ChiSquare.twoSample([:], [0: 3]).p == 1)
        // All of one sample on token 0, all of the other on token 1: as far from homogeneous as it gets.
        #expect(ChiSquare.twoSample([0: 100], [1: 100]).p < 1e-40)
    }

    @Test func holmByHand() {
        // Sorted 0.01, 0.02, 0.04 with m = 3: 0.03, max(0.03, 0.04) = 0.04, max(0.04, 0.04) = 0.04.
        #expect(ChiSquare.holm([0.04, 0.01, 0.02]).map { ($0 * 1e6).rounded() / 1e6 } == [0.04, 0.03, 0.04])
        #expect(ChiSquare.holm([0.5, 0.9]) == [1, 1])
        #expect(ChiSquare.holm([]) == [])
    }
}
