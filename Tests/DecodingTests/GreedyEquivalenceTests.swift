// Greedy Jacobi and Lookahead must produce exactly greedy AR's tokens, on many random prompts of
// toy models (with and without a whole-prefix dependence that exposes any cache mistake).
import Testing
@testable import TokenloomDecoding

struct GreedyEquivalenceTests {
    static func arTokens(_ model: ToyModel, _ prompt: [Int], _ s: DecodeSettings) throws -> [Int] {
        let ar = try AutoregressiveDecoder(model: model, prompt: prompt, settings: s)
        try runToEnd(ar)
        #expect(ar.stats.forwardPasses == ar.generated.count)
        return ar.generated
    }

    static func randomPrompt(_ rng: inout SeededRNG, vocab: Int) -> [Int] {
        (0..<(1 + rng.below(8))).map { _ in rng.below(vocab) }
    }

    @Test(arguments: [Float(0), 0.7, 3])
    func jacobiEqualsAR(prefixWeight: Float) throws {
        var rng = SeededRNG(seed: 11)
        for trial in 0..<60 {
            let model = ToyModel(vocab: 3 + rng.below(20), seed: UInt64(trial), scale: 2, prefixWeight: prefixWeight)
            let prompt = Self.randomPrompt(&rng, vocab: model.vocabSize)
            var s = DecodeSettings(maxNewTokens: 5 + rng.below(40), seed: UInt64(trial))
            if trial % 3 == 0 { s.isEnd = { $0 == 0 } }
            let expected = try Self.arTokens(model, prompt, s)
            for (W, scheme) in [(16, DraftInit.repeatLast), (1 + rng.below(8), .random), (4, .repeatLeft(gridWidth: 3))] {
                let j = try JacobiDecoder(model: model, prompt: prompt, settings: s, window: W, initScheme: scheme)
                try runToEnd(j)
                #expect(j.generated == expected, "trial \(trial) W \(W) \(scheme)")
                #expect(j.stats.forwardPasses <= expected.count)
                #expect(j.stats.tokensCommitted == expected.count)
            }
        }
    }

    @Test(arguments: [Float(0), 0.7, 3])
    func lookaheadEqualsAR(prefixWeight: Float) throws {
        var rng = SeededRNG(seed: 12)
        for trial in 0..<60 {
            let model = ToyModel(vocab: 3 + rng.below(20), seed: UInt64(100 + trial), scale: 2, prefixWeight: prefixWeight)
            let prompt = Self.randomPrompt(&rng, vocab: model.vocabSize)
            var s = DecodeSettings(maxNewTokens: 5 + rng.below(40), seed: UInt64(trial))
            if trial % 3 == 0 { s.isEnd = { $0 == 0 } }
            let expected = try Self.arTokens(model, prompt, s)
            for (W, N, G, fromPrompt) in [(10, 4, 5, false), (1 + rng.below(6), 2 + rng.below(4), 1 + rng.below(4), true), (3, 2, 1, false)] {
                let la = try LookaheadDecoder(model: model, prompt: prompt, settings: s, W: W, N: N, G: G, poolFromPrompt: fromPrompt)
                try runToEnd(la)
                #expect(la.generated == expected, "trial \(trial) W \(W) N \(N) G \(G)")
                #expect(la.stats.forwardPasses <= expected.count)
            }
        }
    }

    /// Constant greedy output: Jacobi (repeat-last drafts) and Lookahead must accept whole windows.
    @Test func windowDecodersWinOnConstantOutput() throws {
        let model = ToyModel(vocab: 6, seed: 3, scale: 1)
        model.copyCurrent = 10
        let s = DecodeSettings(maxNewTokens: 60)
        let expected = try Self.arTokens(model, [1, 2], s)
        #expect(Set(expected) == [2])
        let j = try JacobiDecoder(model: model, prompt: [1, 2], settings: s, window: 8)
        try runToEnd(j)
        let la = try LookaheadDecoder(model: model, prompt: [1, 2], settings: s)
        try runToEnd(la)
        #expect(j.generated == expected && la.generated == expected)
        #expect(j.stats.tokensPerPass > 6)
        #expect(la.stats.tokensPerPass > 4)
        #expect(j.stats.accepted == j.stats.tokensCommitted - j.stats.forwardPasses)
    }

    /// 2-periodic greedy output (a b a b ...): the pooled n-grams (here seeded from the prompt) are
    /// verified and accepted.
    @Test func lookaheadVerifiesPooledNgrams() throws {
        let model = ToyModel(vocab: 6, seed: 3, scale: 1)
        model.copyPrevious = 10
        let s = DecodeSettings(maxNewTokens: 60)
        let prompt = [1, 4, 1, 4, 1, 4]
        let expected = try Self.arTokens(model, prompt, s)
        let la = try LookaheadDecoder(model: model, prompt: prompt, settings: s, W: 3, N: 5, G: 2, poolFromPrompt: true)
        let events = try runToEnd(la)
        #expect(la.generated == expected)
        #expect(la.stats.tokensPerPass > 3)
        #expect(events.contains { if case .ngram(_, _, let matched) = $0 { return matched == 4 }; return false })
    }

    /// Stats are defined once: committed = sum of commits, accepted <= drafted, rates in range.
    @Test func statsAreConsistentWithTheTrace() throws {
        let model = ToyModel(vocab: 6, seed: 9, scale: 2, prefixWeight: 0.5)
        let s = DecodeSettings(maxNewTokens: 30)
        let j = try JacobiDecoder(model: model, prompt: [1, 2, 3], settings: s, window: 5)
        let events = try runToEnd(j)
        let committed = events.reduce(0) { if case .commit(_, let t) = $1 { return $0 + t.count }; return $0 }
        let forwards = events.filter { $0.name == "forward" }.count
        // Jacobi's tests are exact matches: one `match` event per guess tested, kept when guess == target.
        let accepts = events.filter { if case .match(_, let g, let t) = $0 { return g == t }; return false }.count
        let tests = events.filter { $0.name == "match" }.count
        #expect(!events.contains { $0.name == "accept" || $0.name == "reject" || $0.name == "resample" })
        #expect(committed == j.stats.tokensCommitted)
        #expect(forwards == j.stats.forwardPasses)
        #expect(accepts == j.stats.accepted && tests == j.stats.drafted)
        #expect(j.stats.acceptanceRate >= 0 && j.stats.acceptanceRate <= 1)
        #expect(events.last == .finished(reason: "length"))
    }
}
