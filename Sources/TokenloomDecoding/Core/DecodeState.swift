// DecodeState: the bookkeeping every decoder shares: the committed sequence, the main KV cache,
// the stop rule, the seeded generator, and the counters. Decoders own one and call it for
// forward passes, warped distributions and commits, so those mean the same thing everywhere.
//
// Invariant between steps (after the first): the cache holds every committed position except the
// last committed token, which is the first input of the next forward pass.
import TokenloomKernels
import TokenloomModels

public final class DecodeState {
    let model: CausalModel
    let settings: DecodeSettings
    let prompt: [Int]
    var cache: KVCache
    var generated: [Int] = []
    var stats = DecodeStats()
    var rng: SeededRNG
    var finishReason: String?

    init(model: CausalModel, prompt: [Int], settings: DecodeSettings) throws {
        try settings.validate()
        guard !prompt.isEmpty else { throw DecodeError.badInput("the prompt has no tokens") }
        if let bad = prompt.first(where: { $0 < 0 || $0 >= model.vocabSize }) {
            throw DecodeError.badInput("prompt token \(bad) is outside the vocabulary (0..<\(model.vocabSize))")
        }
        if let d = settings.draftTokens, let bad = d.first(where: { $0 < 0 || $0 >= model.vocabSize }) {
            throw DecodeError.badInput("draft token \(bad) is outside the vocabulary (0..<\(model.vocabSize))")
        }
        self.model = model; self.prompt = prompt; self.settings = settings
        self.cache = model.makeCache()
        self.rng = SeededRNG(seed: settings.seed)
    }

    var isFinished: Bool { finishReason != nil }
    /// Positions committed so far (prompt included).
    var length: Int { prompt.count + generated.count }
    var lastToken: Int { generated.last ?? prompt[prompt.count - 1] }
    /// New tokens still allowed.
    var remaining: Int { settings.maxNewTokens - generated.count }
    var prefilled: Bool { stats.forwardPasses > 0 }

    /// One forward pass on `cache` (the main one unless given), counted and timed.
    /// Returns the logits and the `forward` event.
    func forward(_ tokens: [Int], on cache: KVCache? = nil) throws -> (Logits, TraceEvent) {
        try forward(inputs: tokens.map { .token($0) }, on: cache)
    }

    /// The same for any model inputs (token ids or, for SJD2, noisy embeddings).
    func forward(inputs: [ModelInput], on cache: KVCache? = nil) throws -> (Logits, TraceEvent) {
        let c = cache ?? self.cache
        let start = c.count
        let t0 = MonotonicClock.ms()
        let logits = try model.forward(inputs, cache: c)
        guard logits.allFinite else { throw ModelError.nonFiniteLogits(model: model.displayName) }
        let event = TraceEvent.forward(start: start, count: inputs.count, ms: MonotonicClock.ms() - t0)
        stats.record(event)
        return (logits, event)
    }

    /// The processed row (logit processor applied) predicting absolute position `position`.
    func processedRow(_ logits: Logits, _ row: Int, predicting position: Int) -> [Float] {
        var z = logits.row(row)
        settings.logitProcessor?(position, &z)
        return z
    }

    /// The warped distribution of `row`, which predicts absolute position `position`.
    func distribution(_ logits: Logits, _ row: Int, predicting position: Int) -> Distribution {
        var p = Sampler.distribution(logits: processedRow(logits, row, predicting: position), settings: settings.sampler)
        // A top-K row (remote model): softmax spread the named tokens over all the mass. At temperature 1
        // with nothing warped, their true probabilities are known: scale back to them, so p(x) of a named
        // token is exact and the probabilities sum to the named mass (a draw stays inside the top K).
        if let mass = logits.namedMass, settings.sampler.isUnwarped, !settings.sampler.isGreedy, settings.logitProcessor == nil {
            let m = mass[row]
            for i in p.probs.indices where p.probs[i] > 0 { p.probs[i] *= m }
        }
        return p
    }

    /// The events that describe a row's distribution: its `entropy` and, when the settings ask for them,
    /// its `alternatives` right after. The distribution is the warped one `p`, or, when decoding is
    /// greedy (p is one-hot), the model's own temperature-1 distribution.
    func entropyEvents(_ logits: Logits, _ row: Int, predicting position: Int, warped p: Distribution? = nil) -> [TraceEvent] {
        let k = settings.topAlternatives
        if !settings.sampler.isGreedy, let p {
            var out: [TraceEvent] = [.entropy(position: position, nats: p.entropy)]
            if k > 0 { let top = p.top(k); out.append(.alternatives(position: position, tokens: top.tokens, probs: top.probs)) }
            return out
        }
        let z = processedRow(logits, row, predicting: position)
        if let mass = logits.namedMass {
            // Top-K only (a served model): -sum p ln p over the named tokens at their true
            // probabilities, a lower bound on the entropy. One pass picks the named entries out.
            var named: [Int] = []
            var m = -Float.infinity
            for i in 0..<z.count where z[i] > RemoteModel.unnamed / 2 { named.append(i); m = max(m, z[i]) }
            var Z = 0.0
            for i in named { Z += _exp(Double(z[i] - m)) }
            var h = 0.0
            for i in named {
                let p = _exp(Double(z[i] - m)) / Z * Double(mass[row])
                h -= p * _log(p + 1e-10)
            }
            var out: [TraceEvent] = [.entropy(position: position, nats: h)]
            if k > 0 {
                let top = named.sorted { z[$0] > z[$1] || (z[$0] == z[$1] && $0 < $1) }.prefix(k)
                out.append(.alternatives(position: position, tokens: Array(top),
                                         probs: top.map { _exp(Double(z[$0] - m)) / Z * Double(mass[row]) }))
            }
            return out
        }
        guard k > 0 else { return [.entropy(position: position, nats: Sampler.entropy(logits: z))] }
        let r = Sampler.entropyAndTop(logits: z, k: k)
        return [.entropy(position: position, nats: r.nats), .alternatives(position: position, tokens: r.tokens, probs: r.probs)]
    }

    /// Greedy choice of `row` (after the logit processor).
    func greedy(_ logits: Logits, _ row: Int, predicting position: Int) -> Int {
        Sampler.argmax(processedRow(logits, row, predicting: position))
    }

    /// A fresh random draft token (uniform over the draft set or the vocabulary).
    func randomDraft() -> Int {
        if let d = settings.draftTokens { return d[rng.below(d.count)] }
        return rng.below(model.vocabSize)
    }

    func isEnd(_ token: Int) -> Bool { settings.isEnd?(token) ?? false }

    /// Commits `tokens` (cut after an end token or at the length limit) and returns the events;
    /// the number actually committed is `tokens.count` unless the cut applied.
    @discardableResult
    func commit(_ tokens: [Int], events: inout [TraceEvent]) -> Int {
        var kept: [Int] = []
        for t in tokens {
            guard kept.count < remaining else { break }
            kept.append(t)
            if isEnd(t) { break }
        }
        guard !kept.isEmpty else { return 0 }
        emit(.commit(start: length, tokens: kept), into: &events)
        generated += kept
        if let last = kept.last, isEnd(last) {
            finish("eos", events: &events)
        } else if remaining <= 0 {
            finish("length", events: &events)
        }
        return kept.count
    }

    /// Appends `event` and counts it in the stats.
    func emit(_ event: TraceEvent, into events: inout [TraceEvent]) {
        stats.record(event)
        events.append(event)
    }

    func finish(_ reason: String, events: inout [TraceEvent]) {
        guard finishReason == nil else { return }
        finishReason = reason
        events.append(.finished(reason: reason))
    }
}

/// A decoder whose prompt, output, counters, sampler and stop state live in a DecodeState: those
/// properties of the Decoder contract come from it.
public protocol StateBackedDecoder: Decoder {
    var state: DecodeState { get }
}

extension StateBackedDecoder {
    public var prompt: [Int] { state.prompt }
    public var generated: [Int] { state.generated }
    public var stats: DecodeStats { state.stats }
    public var isFinished: Bool { state.isFinished }
    public var finishReason: String? { state.finishReason }
    public var sampler: SamplerSettings? { state.settings.sampler }
}
