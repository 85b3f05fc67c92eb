// Lookahead decoding (Fu et al., ICML 2024), greedy, on a causal-only engine. Output is exactly
// greedy AR's.
//
// The paper runs two branches in one pass with a custom attention mask: a lookahead branch (a 2D
// window of W columns x (N-1) Jacobi levels that produces n-grams) and a verification branch (up
// to G pooled n-grams that start with the last token, each attending only to itself). Our models
// only do causal attention, so one pass here lays the branches out as consecutive positions:
//
//   inputs   c | g1 ... g(N-1) | w1 w2 ... wW          c = last committed token (position n)
//                candidate        lookahead window     (one pooled n-gram, the newest for c)
//
// Every row sees exactly the tokens before it, so the rows of c and of the candidate are exact
// greedy predictions and the candidate is verified as in Jacobi decoding (the accepted run may go
// on into the window). The window rows are Jacobi iterations that continue after the candidate;
// the previous N-2 windows are kept by absolute position, and each diagonal
//   (level t-N+2 at p, level t-N+3 at p+1, ..., level t at p+N-2, this pass's prediction at p+N-1)
// is an n-gram added to the pool (at most G per first token, newest kept), as in the paper.
// What changes from the paper: one candidate per pass instead of G (G bounds the pool), and the
// window tokens are conditioned on the candidate (they are guesses either way; correctness rests on
// verification alone). Why not a tree mask: it would widen the CausalModel contract for every
// engine, and a causal layout keeps Lookahead runnable on any model tokenloom loads.
import TokenloomModels

public final class LookaheadDecoder: StateBackedDecoder {
    public let name = "Lookahead"
    public let W: Int, N: Int, G: Int
    public let state: DecodeState
    /// key token -> continuations of N-1 tokens, oldest first. // [G][N-1]
    public private(set) var pool: [Int: [[Int]]] = [:]
    /// The last N-2 windows (oldest first) and their tokens by absolute position.
    private var levels: [[Int: Int]] = []
    /// Guesses for positions after the last committed token, by absolute position.
    private var guesses: [Int: Int] = [:]

    public init(model: CausalModel, prompt: [Int], settings: DecodeSettings,
                W: Int = 10, N: Int = 4, G: Int = 5, poolFromPrompt: Bool = false) throws {
        guard W >= 1, N >= 2, G >= 1 else {
            throw DecodeError.badSettings("lookahead needs W >= 1, N >= 2, G >= 1 (got \(W), \(N), \(G))")
        }
        self.W = W; self.N = N; self.G = G
        state = try DecodeState(model: model, prompt: prompt, settings: settings)
        if poolFromPrompt && prompt.count >= N {
            for i in 0...(prompt.count - N) { addToPool(Array(prompt[i..<i + N])) }
        }
    }


    public var mode: String { "greedy W\(W) N\(N) G\(G)" }
    public var rule: String {
        "Lookahead (greedy, W \(W), N \(N), G \(G)): one forward pass runs a Jacobi lookahead branch, which collects n-grams, and "
            + "verifies up to \(G) pooled n-grams that start with the last token; the longest one greedy decoding agrees with is kept. "
            + "The output is exactly greedy AR's."
    }

    public func step() throws -> [TraceEvent] {
        guard !state.isFinished else { return [] }
        if !state.prefilled { return try greedyPrefill(state) }
        let c = state.lastToken
        let n = state.length - 1                                  // position of c
        let budget = min(state.remaining, state.model.contextLength - state.cache.count) - 1
        let candidate = Array((pool[c]?.last ?? []).prefix(max(budget, 0)))
        let k = candidate.count
        let Wn = max(0, min(W, budget - k))
        // Window positions n+k+1 ... n+k+Wn: last pass's guesses; on the first pass random prompt
        // tokens (the paper's initialisation); slots past the last guess repeat the token before.
        var window: [Int] = []
        for i in 0..<Wn {
            let pos = n + k + 1 + i
            if let g = guesses[pos] { window.append(g); continue }
            if levels.isEmpty { window.append(state.prompt[state.rng.below(state.prompt.count)]); continue }
            window.append(window.last ?? candidate.last ?? c)
        }
        let drafts = candidate + window
        var events: [TraceEvent] = []
        let (logits, fwd) = try state.forward([c] + drafts)
        events.append(fwd)
        for (j, d) in drafts.enumerated() { events.append(.draft(position: n + 1 + j, token: d, q: 1)) }
        let y = (0..<(1 + drafts.count)).map { state.greedy(logits, $0, predicting: n + 1 + $0) }  // [1+k+Wn]
        for j in 0..<y.count { events += state.entropyEvents(logits, j, predicting: n + 1 + j) }
        let m = verifyGreedy(drafts: drafts, y: y, firstPosition: n + 1, state: state, events: &events)
        if k > 0 { events.append(.ngram(position: n + 1, tokens: candidate, matched: min(m - 1, k))) }
        // Lookahead branch: collect the diagonals ending in this pass's window predictions.
        var level: [Int: Int] = [:]
        for (i, w) in window.enumerated() { level[n + k + 1 + i] = w }
        var prediction: [Int: Int] = [:]
        for r in 0..<y.count { prediction[n + 1 + r] = y[r] }
        for i in 0..<Wn {
            let p = n + k + 1 + i - (N - 2)                      // start of the diagonal ending at window slot i
            var gram: [Int] = []
            for (l, lv) in (levels + [level]).suffix(N - 1).enumerated() {
                guard let t = lv[p + l] else { break }
                gram.append(t)
            }
            guard gram.count == N - 1, let last = prediction[p + N - 1] else { continue }
            addToPool(gram + [last])
        }
        levels.append(level)
        if levels.count > N - 2 { levels.removeFirst(levels.count - (N - 2)) }
        let kept = state.commit(Array(y[0..<m]), events: &events)
        state.cache.truncate(to: n + kept)
        guesses = prediction.filter { $0.key > n + kept }
        return events
    }

    private func addToPool(_ gram: [Int]) {
        let key = gram[0], rest = Array(gram.dropFirst())
        var list = pool[key] ?? []
        list.removeAll { $0 == rest }
        list.append(rest)
        if list.count > G { list.removeFirst(list.count - G) }
        pool[key] = list
    }
}
