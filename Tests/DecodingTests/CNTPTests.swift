// CNTP: trial counts follow the reference formula at the reported entropy, the chosen trial has
// the minimum perplexity (lowest index on ties), every trial ends at punctuation, EOS or the
// limit, the reported entropy and trial probabilities are the model's (checked with fresh caches),
// and the committed span is the winner's.
import Testing
@testable import TokenloomDecoding

struct CNTPTests {
    @Test func trialCountFormula() {
        let k = CNTPParameters()
        #expect(CNTPDecoder.trialCount(entropy: 0, k) == 1)
        #expect(CNTPDecoder.trialCount(entropy: 0.17, k) == 1)
        #expect(CNTPDecoder.trialCount(entropy: 0.18, k) == 2)
        #expect(CNTPDecoder.trialCount(entropy: 0.43, k) == 3)      // the overview figure
        #expect(CNTPDecoder.trialCount(entropy: 0.92, k) == 6)
        #expect(CNTPDecoder.trialCount(entropy: 1.49, k) == 9)
        #expect(CNTPDecoder.trialCount(entropy: 1.5, k) == 10)
        #expect(CNTPDecoder.trialCount(entropy: 7, k) == 10)
        var paper = k; paper.paperFormula = true
        #expect(CNTPDecoder.trialCount(entropy: 0.43, paper) == 2)
        #expect(CNTPDecoder.trialCount(entropy: 0.1, paper) == 1)
        #expect(CNTPDecoder.trialCount(entropy: 0.92, paper) == 6)
        #expect(CNTPDecoder.trialCount(entropy: 3, paper) == 10)
    }

    static func run(seed: UInt64, maxNew: Int = 40) throws -> (CNTPDecoder, [TraceEvent], ToyModel, DecodeSettings) {
        let model = ToyModel(vocab: 9, seed: 21, scale: 1.2, prefixWeight: 0.6)
        let s = DecodeSettings(maxNewTokens: maxNew, sampler: SamplerSettings(temperature: 1.2, topP: 0.9),
                               seed: seed, isEnd: { $0 == 8 })
        let d = try CNTPDecoder(model: model, prompt: [1, 2, 3], settings: s, punctuation: [0, 1])
        let events = try runToEnd(d)
        return (d, events, model, s)
    }

    @Test func branchesFollowTheReference() throws {
        var branched = 0
        for seed in 0..<30 {
            let (d, events, model, s) = try Self.run(seed: UInt64(seed))
            branched += d.branches.count
            // Rebuild the sequence from commits, and check each branch against the model.
            var seq = d.prompt
            var i = 0
            func freshDist(_ prefix: [Int]) throws -> Distribution {
                let l = try model.forward(tokens: prefix, cache: model.makeCache())
                return Sampler.distribution(logits: l.row(l.rows - 1), settings: s.sampler)
            }
            var branchIndex = 0
            while i < events.count {
                switch events[i] {
                case .entropy(let position, let H):
                    #expect(position == seq.count)
                    #expect(abs(try freshDist(seq).entropy - H) < 1e-4)
                case .branchOpened(let position, let H, let N):
                    #expect(N == CNTPDecoder.trialCount(entropy: H, d.parameters))
                    let b = d.branches[branchIndex]; branchIndex += 1
                    #expect(b.position == position && b.trials.count == N)
                    let best = b.trials.map(\.perplexity).min()!
                    #expect(b.chosen == b.trials.firstIndex { $0.perplexity == best })
                    for t in b.trials {
                        let last = t.tokens.last!
                        let atLimit = seq.count - d.prompt.count + t.tokens.count >= s.maxNewTokens
                        #expect([0, 1].contains(last) || last == 8 || atLimit)
                        #expect(t.tokens.dropLast().allSatisfy { ![0, 1, 8].contains($0) })
                        // Perplexity from the model's own warped probabilities, fresh cache per token.
                        var nll = 0.0
                        for (k, tok) in t.tokens.enumerated() {
                            nll -= _logD(try freshDist(seq + t.tokens.prefix(k))[tok])
                        }
                        #expect(abs(_expD(nll / Double(t.tokens.count)) - t.perplexity) < 1e-3 * t.perplexity)
                    }
                case .commit(let start, let tokens):
                    #expect(start == seq.count)
                    seq += tokens
                default: break
                }
                i += 1
            }
            #expect(branchIndex == d.branches.count)
            #expect(seq == d.prompt + d.generated)
            // Forward passes: one per main step plus one per trial token after a trial's first.
            let trialTokens = d.branches.reduce(0) { $0 + $1.trials.reduce(0) { $0 + $1.tokens.count - 1 } }
            let mainSteps = events.filter { $0.name == "entropy" }.count
            #expect(d.stats.forwardPasses == mainSteps + trialTokens)
        }
        #expect(branched > 20)      // the test would be empty if nothing branched
    }

    @Test func chosenSpanIsCommitted() throws {
        let (d, events, _, _) = try Self.run(seed: 7)
        var lastChosen: Int?
        var trialTokens: [Int: [Int]] = [:]
        for e in events {
            switch e {
            case .branchOpened: trialTokens = [:]
            case .trialToken(let t, let tok, _): trialTokens[t, default: []].append(tok)
            case .branchChosen(let t): lastChosen = t
            case .commit(_, let toks):
                if let c = lastChosen { #expect(toks == trialTokens[c]); lastChosen = nil }
            default: break
            }
        }
        #expect(!d.branches.isEmpty)
    }

    @Test func greedyNeverBranches() throws {
        let model = ToyModel(vocab: 9, seed: 21)
        let d = try CNTPDecoder(model: model, prompt: [1], settings: DecodeSettings(maxNewTokens: 20), punctuation: [0])
        try runToEnd(d)
        let ar = try AutoregressiveDecoder(model: model, prompt: [1], settings: DecodeSettings(maxNewTokens: 20))
        try runToEnd(ar)
        #expect(d.branches.isEmpty && d.generated == ar.generated)
    }

    @Test func selfConsistencyVote() throws {
        #expect(try SelfConsistency.answer(in: "so 3 + 4 = 7. The answer is 1,024.") == "1024")
        #expect(try SelfConsistency.answer(in: "x = -2.5") == "-2.5")
        #expect(try SelfConsistency.answer(in: "no digits") == nil)
        #expect(try SelfConsistency.answer(in: "Answer: Paris.", pattern: "[A-Z][a-z]+") == "Paris")
        #expect(SelfConsistency.vote(["3", "4", nil, "4", "3"]) == "3")   // tie: first seen
        #expect(SelfConsistency.vote(["3", "4", "4"]) == "4")
        #expect(SelfConsistency.vote([nil, nil]) == nil)
        #expect(throws: DecodeError.self) { try SelfConsistency.answer(in: "x", pattern: "(") }
    }
}
