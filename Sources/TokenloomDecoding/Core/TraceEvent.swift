// TraceEvent: what a decoder did in one step, in the words a teacher would use.
// Positions are absolute sequence positions (prompt included). Traces serialise as JSON Lines,
// one event per line: {"event":"accept","position":37,"token":512,"p":0.41,"q":0.62,"u":0.13}.
// Timing lives only in fields ending in `_ms`, so the rest of a trace is identical for the same seed.

public enum TraceEvent: Sendable, Equatable {
    /// One forward pass over `positions` (first position, count).
    case forward(start: Int, count: Int, ms: Double)
    /// A draft token placed at `position` with draft probability q (1 for a one-hot fresh draft).
    case draft(position: Int, token: Int, q: Double)
    /// SJD's probabilistic test: the draft is kept when u < min(1, p/q).
    case accept(position: Int, token: Int, p: Double, q: Double, u: Double)
    case reject(position: Int, token: Int, p: Double, q: Double, u: Double)
    /// Jacobi's exact-match test: the guess at `position` is kept only if it equals `target`, the
    /// token this pass predicts there (the argmax when greedy, a fresh sample when sampling).
    /// Nothing is drawn for the test: there is no p, q or u.
    case match(position: Int, guess: Int, target: Int)
    /// After an SJD rejection: the token drawn instead, from norm(max(0, p - q)).
    case resample(position: Int, token: Int)
    /// Tokens at positions start ..< start+tokens.count became final.
    case commit(start: Int, tokens: [Int])
    /// Entropy in nats of the sampling distribution at `position` (for greedy decoding, whose
    /// sampling distribution is one-hot, of the model's temperature-1 distribution).
    case entropy(position: Int, nats: Double)
    /// The most probable tokens of that same distribution at `position`, most probable first (lowest
    /// id on ties), with their probabilities; emitted right after `entropy` when
    /// `DecodeSettings.topAlternatives` asks for it.
    case alternatives(position: Int, tokens: [Int], probs: [Double])
    /// CNTP: at `position` the entropy gave `trials` trials.
    case branchOpened(position: Int, entropy: Double, trials: Int)
    case trialToken(trial: Int, token: Int, p: Double)
    case trialScored(trial: Int, perplexity: Double)
    case branchChosen(trial: Int)
    /// SJD2: the slot at `position` now sits at noise level `level` (0 = clean).
    case denoise(position: Int, level: Int)
    /// Image model's token fuser: the LLM branch's share for prompt token `index`.
    case fuserGate(index: Int, value: Double)
    /// Lookahead: an n-gram candidate verified at `position`, `matched` tokens accepted.
    case ngram(position: Int, tokens: [Int], matched: Int)
    /// Decoding finished (EOS, length limit, end of image).
    case finished(reason: String)

    public var name: String {
        switch self {
        case .forward: return "forward"
        case .draft: return "draft"
        case .accept: return "accept"
        case .reject: return "reject"
        case .match: return "match"
        case .resample: return "resample"
        case .commit: return "commit"
        case .entropy: return "entropy"
        case .alternatives: return "alternatives"
        case .branchOpened: return "branchOpened"
        case .trialToken: return "trialToken"
        case .trialScored: return "trialScored"
        case .branchChosen: return "branchChosen"
        case .denoise: return "denoise"
        case .fuserGate: return "fuserGate"
        case .ngram: return "ngram"
        case .finished: return "finished"
        }
    }
}
