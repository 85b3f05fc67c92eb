// CNTP: Cautious Next Token Prediction (Wang et al., ACL Findings 2025), as its reference code
// (`_sample_reflect_perplexity`) runs it. At each position: entropy H (nats) of the warped
// distribution (after temperature and top-p); N trials from H; if N > 1, N independent trials are
// sampled, each until a punctuation token, EOS or the length limit (the stop token is kept); each is
// scored by perplexity exp(mean NLL) on the warped probabilities; the lowest wins (ties: the lowest
// index) and decoding continues from the winner's cache.
//
// Each trial token after the first is one forward pass, so one step. The first token of every
// trial is drawn from the distribution already computed at the branch point (the shortcut the
// notes call equivalent in distribution: the reference recomputes that same row per trial).
import TokenloomModels

public struct CNTPParameters: Sendable, Equatable {
    public var entropyLow = 0.01
    public var entropyHigh = 1.5
    public var maxTrials = 10
    /// Use the paper's Algorithm 1 formula instead of the code's.
    public var paperFormula = false
    public init() {}
}

/// One branch point, for reports: where, its entropy, every trial and the winner.
public struct CNTPBranch: Sendable, Equatable {
    public var position: Int
    public var entropy: Double
    public var trials: [(tokens: [Int], perplexity: Double)]
    public var chosen: Int

    public static func == (a: CNTPBranch, b: CNTPBranch) -> Bool {
        a.position == b.position && a.entropy == b.entropy && a.chosen == b.chosen
            && a.trials.map(\.tokens) == b.trials.map(\.tokens) && a.trials.map(\.perplexity) == b.trials.map(\.perplexity)
    }
}

public final class CNTPDecoder: StateBackedDecoder {
    public let name = "CNTP"
    public let parameters: CNTPParameters
    /// Token ids that end a trial.
    public let punctuation: Set<Int>
    public let state: DecodeState
    public private(set) var branches: [CNTPBranch] = []

    /// The branch being explored: its distribution at the branch point, trials done so far,
    /// the trial in progress and the best finished trial's cache.
    private struct Open {
        var position: Int
        var entropy: Double
        var N: Int
        var q: Distribution
        var trials: [(tokens: [Int], perplexity: Double)] = []
        var current: (cache: KVCache, tokens: [Int], probs: [Double])?
        var best: (index: Int, perplexity: Double, cache: KVCache)?
    }
    private var open: Open?
    /// Deliberately wrong (trial tokens after the first are the argmax, not samples); only for the
    /// tests' power check.
    var trialsContinueGreedily = false
    /// Deliberately wrong (every trial of a branch starts with the first trial's first token); only
    /// for the tests' power check.
    var trialsShareFirstToken = false

    public init(model: CausalModel, prompt: [Int], settings: DecodeSettings, punctuation: Set<Int>,
                parameters: CNTPParameters = CNTPParameters()) throws {
        guard parameters.maxTrials >= 1, parameters.entropyHigh > parameters.entropyLow else {
            throw DecodeError.badSettings("CNTP needs max trials >= 1 and entropy high > low")
        }
        self.parameters = parameters; self.punctuation = punctuation
        state = try DecodeState(model: model, prompt: prompt, settings: settings)
    }


    /// The reference's punctuation set: the first id of each of `. , \n ? ! : ; ) ] }` encoded alone.
    public static func punctuationIDs(_ tokenizer: Tokenizing) -> Set<Int> {
        Set([".", ",", "\n", "?", "!", ":", ";", ")", "]", "}"].compactMap { tokenizer.encode($0, addSpecial: false).first })
    }

    /// Trials at entropy H. Code: int(1 + (N_max - 1) * clamp((H - lo) / (hi - lo), 0, 1)).
    /// Paper (Algorithm 1): max(1, min(N_max, floor((H - lo) / (hi - lo) * N_max))).
    public static func trialCount(entropy H: Double, _ k: CNTPParameters) -> Int {
        let x = (H - k.entropyLow) / (k.entropyHigh - k.entropyLow)
        if k.paperFormula {
            let f = (x * Double(k.maxTrials)).rounded(.down)
            return max(1, min(k.maxTrials, f.isFinite ? Int(max(f, -1)) : 1))
        }
        let c = min(max(x, 0), 1)
        return Int(1 + Double(k.maxTrials - 1) * c)
    }

    public var mode: String { samplerMode(state.settings.sampler) + " N\(parameters.maxTrials)" }
    public var rule: String {
        let k = parameters, span = shortNumber(k.entropyHigh - k.entropyLow)
        let formula = k.paperFormula
            ? "N = max(1, min(\(k.maxTrials), floor(\(k.maxTrials)·(H − \(shortNumber(k.entropyLow)))/\(span))))"
            : "N = int(1 + \(k.maxTrials - 1)·clamp((H − \(shortNumber(k.entropyLow)))/\(span), 0, 1))"
        return "CNTP (\(samplerMode(state.settings.sampler))): where the entropy H of the next token is above \(shortNumber(k.entropyLow)) nats, "
            + "it opens \(formula) trials. Each trial samples on until punctuation; its first token comes from the distribution "
            + "already computed, and each further token costs one forward pass. The trial with the lowest perplexity is kept."
    }

    public func step() throws -> [TraceEvent] {
        guard !state.isFinished else { return [] }
        var events: [TraceEvent] = []
        if var b = open {
            // One forward pass of the trial in progress, then as many trial tokens as need none.
            guard var cur = b.current, let last = cur.tokens.last else { return events }
            let (logits, fwd) = try state.forward([last], on: cur.cache)
            events.append(fwd)
            let qt = state.distribution(logits, 0, predicting: state.length + cur.tokens.count)
            let t = trialsContinueGreedily ? qt.argmax : qt.sample(&state.rng)
            cur.tokens.append(t); cur.probs.append(qt[t])
            events.append(.trialToken(trial: b.trials.count, token: t, p: qt[t]))
            b.current = cur
            if trialEnds(cur.tokens) { finishTrial(&b, &events) }
            open = b
            advanceTrials(&events)
            return events
        }
        let inputs = state.prefilled ? [state.lastToken] : state.prompt
        let (logits, fwd) = try state.forward(inputs)
        events.append(fwd)
        let position = state.length
        let q = state.distribution(logits, logits.rows - 1, predicting: position)
        let H = q.entropy
        events += state.entropyEvents(logits, logits.rows - 1, predicting: position, warped: q)
        let N = CNTPDecoder.trialCount(entropy: H, parameters)
        if N <= 1 {
            let token = state.settings.sampler.isGreedy ? q.argmax : q.sample(&state.rng)
            state.commit([token], events: &events)
            return events
        }
        events.append(.branchOpened(position: position, entropy: H, trials: N))
        open = Open(position: position, entropy: H, N: N, q: q)
        advanceTrials(&events)
        return events
    }

    private func trialEnds(_ tokens: [Int]) -> Bool {
        guard let t = tokens.last else { return false }
        return punctuation.contains(t) || state.isEnd(t) || state.generated.count + tokens.count >= state.settings.maxNewTokens
    }

    private func finishTrial(_ b: inout Open, _ events: inout [TraceEvent]) {
        guard let cur = b.current else { return }
        let nll = cur.probs.reduce(0.0) { $0 - _log($1) } / Double(cur.probs.count)
        let ppl = _exp(nll)
        let i = b.trials.count
        b.trials.append((tokens: cur.tokens, perplexity: ppl))
        events.append(.trialScored(trial: i, perplexity: ppl))
        if b.best == nil || ppl < b.best!.perplexity { b.best = (i, ppl, cur.cache) }
        b.current = nil
    }

    /// Starts trials (their first token needs no forward pass) until one needs a forward pass or
    /// all N are scored; then commits the winner and continues from its cache.
    private func advanceTrials(_ events: inout [TraceEvent]) {
        guard var b = open else { return }
        while b.current == nil {
            if b.trials.count == b.N {
                guard let best = b.best else { break }
                events.append(.branchChosen(trial: best.index))
                branches.append(CNTPBranch(position: b.position, entropy: b.entropy, trials: b.trials, chosen: best.index))
                state.cache = best.cache
                open = nil
                state.commit(b.trials[best.index].tokens, events: &events)
                return
            }
            let t = trialsShareFirstToken && !b.trials.isEmpty ? b.trials[0].tokens[0] : b.q.sample(&state.rng)
            b.current = (cache: state.cache.copy(), tokens: [t], probs: [b.q[t]])
            events.append(.trialToken(trial: b.trials.count, token: t, p: b.q[t]))
            if trialEnds([t]) { finishTrial(&b, &events) }
        }
        open = b
    }
}
