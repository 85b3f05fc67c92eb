// CNTP's trials are independent samples: each trial's first token is a draw from q (the branch
// point's distribution) and its second a draw from the model's conditional after it. At a fixed
// branch point (the prompt's, 9 trials) over 2,000 seeds: the (first, second) tokens of every trial
// against q(t1) p(t2 | t1) (a stop token ends the trial: cell (t1, t1) with q(t1)), and the first
// tokens of trials 0 and 1 against q x q (independence), by chi-square. Trials that continue greedily
// and trials that share one first token (both kept as switches) are caught.
import Testing
@testable import TokenloomDecoding
import TokenloomModels

struct CNTPTrialTests {
    static func trialTest(greedy: Bool = false, shared: Bool = false, seeds: Int = 2000) throws
        -> (tokens: (chi2: Double, df: Int, p: Double), pairs: (chi2: Double, df: Int, p: Double)) {
        let V = 9, prompt = [1, 2, 3], stops: Set<Int> = [0, 1, 8]
        let model = ToyModel(vocab: V, seed: 21, scale: 1.2, prefixWeight: 0.6)
        let sampler = SamplerSettings(temperature: 1.2, topP: 0.9)
        func dist(_ seq: [Int]) throws -> Distribution {
            let logits = try model.forward(tokens: seq, cache: model.makeCache())
            return Sampler.distribution(logits: logits.row(logits.rows - 1), settings: sampler)
        }
        let q = try dist(prompt)
        #expect(CNTPDecoder.trialCount(entropy: q.entropy, CNTPParameters()) >= 3)
        var expected = [Double](repeating: 0, count: V * V), independent = [Double](repeating: 0, count: V * V)
        for a in 0..<V where q[a] > 0 {
            let next = try dist(prompt + [a])
            for b in 0..<V {
                independent[a * V + b] = q[a] * q[b]
                if stops.contains(a) { expected[a * V + b] = a == b ? q[a] : 0 } else { expected[a * V + b] = q[a] * next[b] }
            }
        }
        var tokens = [Int](repeating: 0, count: V * V), pairs = [Int](repeating: 0, count: V * V)
        for seed in 0..<seeds {
            let s = DecodeSettings(maxNewTokens: 40, sampler: sampler, seed: UInt64(seed), isEnd: { $0 == 8 })
            let d = try CNTPDecoder(model: model, prompt: prompt, settings: s, punctuation: [0, 1])
            d.trialsContinueGreedily = greedy
            d.trialsShareFirstToken = shared
            while d.branches.isEmpty { _ = try d.step() }
            let trials = d.branches[0].trials.map(\.tokens)
            for t in trials { tokens[t[0] * V + (t.count > 1 ? t[1] : t[0])] += 1 }
            pairs[trials[0][0] * V + trials[1][0]] += 1
        }
        return (ChiSquare.pValue(observed: tokens, expected: expected), ChiSquare.pValue(observed: pairs, expected: independent))
    }

    @Test func trialsAreIndependentSamples() throws {
        let r = try Self.trialTest()
        #expect(r.tokens.p > 0.01, "first and second tokens: \(r.tokens)")
        #expect(r.pairs.p > 0.01, "trials 0 and 1: \(r.pairs)")
    }

    @Test func greedyContinuationIsCaught() throws {
        let r = try Self.trialTest(greedy: true)
        #expect(r.tokens.p < 1e-6, "greedy trials passed: \(r.tokens)")
    }

    @Test func sharedFirstTokenIsCaught() throws {
        let r = try Self.trialTest(shared: true)
        #expect(r.pairs.p < 1e-6, "shared first tokens passed: \(r.pairs)")
    }
}
