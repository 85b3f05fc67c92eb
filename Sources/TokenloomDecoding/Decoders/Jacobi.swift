// Jacobi decoding: guess a window of W future tokens, run them all in one forward pass, keep the
// longest prefix of guesses that this pass's predictions agree with (plus the one token the pass
// always earns), roll the cache back over the rest, and reuse this pass's predictions as the next
// guesses (the Jacobi fixed-point iteration).
//
//   inputs   c   d1  d2  d3 ... d(W-1)        c = last committed token (position n)
//   rows     y0  y1  y2  y3 ... y(W-1)        y_j predicts position n+j+1 from row j
//   accept d_i while d_i == y_(i-1); commit y0 ... y(m-1); keep the cache for c, d1 ... d(m-1)
//
// Greedy (temperature 0): y_j is the argmax of row j, and the output is exactly greedy AR's.
// Sampling (temperature > 0, the papers' baseline): y_j is a fresh sample of row j's distribution,
// drawn every pass. A draft is kept only if it equals the sample drawn at its position, so every
// committed y_j is a sample of p(. | committed prefix): exact in distribution. Sampled drafts rarely
// match a fresh sample, so it crawls near one token per pass: the failure SJD fixes.
import TokenloomModels

public final class JacobiDecoder: StateBackedDecoder {
    public var name: String { state.settings.sampler.isGreedy ? "Jacobi" : "Sampling Jacobi" }
    public let W: Int
    public let initScheme: DraftInit
    public let state: DecodeState
    /// Guesses for the positions after the last committed token. // [<= W-1]
    var drafts: [Int] = []
    /// Deliberately wrong (compares draft i with row i's prediction instead of row i-1's); only for
    /// the tests' power check.
    var compareWithOwnRow = false

    public init(model: CausalModel, prompt: [Int], settings: DecodeSettings,
                window W: Int = 16, initScheme: DraftInit = .repeatLast) throws {
        guard W >= 1 else { throw DecodeError.badSettings("the window must be >= 1, got \(W)") }
        self.W = W; self.initScheme = initScheme
        state = try DecodeState(model: model, prompt: prompt, settings: settings)
    }

    public var mode: String { samplerMode(state.settings.sampler) + " W\(W)" }
    public var rule: String {
        let what = state.settings.sampler.isGreedy ? "the argmax" : "a fresh sample (\(samplerMode(state.settings.sampler)))"
        return "\(name): one forward pass over the last committed token and up to \(W - 1) guesses. Each row predicts the next "
            + "position as \(what). A guess is kept only if it equals \(what) of the row before it; the first guess that "
            + "differs is replaced by that prediction, and everything after it waits. The predictions become the next pass's guesses."
            + (state.settings.sampler.isGreedy ? " The output is exactly greedy AR's." : " Nothing is drawn for the test itself, and the output is distributed exactly as AR's.")
    }

    public func step() throws -> [TraceEvent] {
        guard !state.isFinished else { return [] }
        if !state.prefilled { return try prefill() }
        let Leff = min(W, state.remaining)
        drafts = Array(drafts.prefix(Leff - 1))
        drafts += initScheme.fill(count: Leff - 1 - drafts.count, firstIndex: state.generated.count + drafts.count,
                                  available: state.generated + drafts, lastToken: state.lastToken, state: state)
        let n = state.length - 1                                  // position of the last committed token
        var events: [TraceEvent] = []
        for (j, d) in drafts.enumerated() { events.append(.draft(position: n + 1 + j, token: d, q: 1)) }
        let (logits, fwd) = try state.forward([state.lastToken] + drafts)
        events.insert(fwd, at: 0)
        var y: [Int] = []                                         // [Leff]
        for j in 0..<Leff {
            let (token, ev) = predict(logits, j, predicting: n + 1 + j)
            y.append(token); events += ev
        }
        let m = verifyGreedy(drafts: drafts, y: compareWithOwnRow ? Array(y.dropFirst()) + [-1] : y,
                             firstPosition: n + 1, state: state, events: &events)
        let kept = state.commit(Array(y[0..<m]), events: &events)
        state.cache.truncate(to: n + kept)
        drafts = Array(y[m...])
        return events
    }

    /// Row j's token (its argmax, or a fresh sample when sampling) and its entropy events.
    func predict(_ logits: Logits, _ row: Int, predicting position: Int) -> (Int, [TraceEvent]) {
        if state.settings.sampler.isGreedy {
            return (state.greedy(logits, row, predicting: position), state.entropyEvents(logits, row, predicting: position))
        }
        let p = state.distribution(logits, row, predicting: position)
        return (p.sample(&state.rng), state.entropyEvents(logits, row, predicting: position, warped: p))
    }

    /// The first pass: prefill the prompt and commit its prediction.
    func prefill() throws -> [TraceEvent] {
        let (logits, fwd) = try state.forward(state.prompt)
        let (token, ev) = predict(logits, logits.rows - 1, predicting: state.length)
        var events = [fwd] + ev
        state.commit([token], events: &events)
        return events
    }
}

/// The first pass of a greedy window decoder: prefill the prompt, commit the argmax.
func greedyPrefill(_ state: DecodeState) throws -> [TraceEvent] {
    let (logits, fwd) = try state.forward(state.prompt)
    var events = [fwd]
    let position = state.length
    events += state.entropyEvents(logits, logits.rows - 1, predicting: position)
    state.commit([state.greedy(logits, logits.rows - 1, predicting: position)], events: &events)
    return events
}

/// Greedy verification: draft i (at position firstPosition+i) is accepted while it equals the
/// argmax y[i] of the row before it. Returns m, the number of tokens this pass earns
/// (1 + accepted drafts); y[0 ..< m] are then final. Each test is a `match` event: nothing is drawn.
func verifyGreedy(drafts: [Int], y: [Int], firstPosition: Int, state: DecodeState,
                  events: inout [TraceEvent]) -> Int {
    var m = 1
    for (i, d) in drafts.enumerated() {
        state.emit(.match(position: firstPosition + i, guess: d, target: y[i]), into: &events)
        guard d == y[i] else { break }
        m += 1
    }
    return m
}
