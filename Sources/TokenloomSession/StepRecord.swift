// StepRecord and the compact per-position facts a snapshot shows: what one decoder looked like
// after one forward pass. Values only, so the UI thread can hold them while the engine runs on.
import TokenloomDecoding

/// How a committed token got there.
public enum Verdict: String, Sendable {
    /// Sampled or picked directly (AR, a bonus token, a CNTP trial token).
    case sampled
    /// A draft that passed the test min(1, p/q) > u (or matched, for greedy Jacobi).
    case accepted
    /// Drawn after a rejection from norm(max(0, p - q)).
    case resampled
}

/// One of the most probable tokens of the sampling distribution at a position, with its probability.
public struct Alternative: Sendable, Equatable {
    public var token: Int
    public var p: Double
    public init(token: Int, p: Double) { self.token = token; self.p = p }
}

/// One committed token and the numbers it was decided with (nil where the decoder gave none).
public struct CommittedToken: Sendable, Equatable {
    public var position: Int
    public var token: Int
    /// The tick (forward pass) that committed it.
    public var tick: Int
    public var verdict: Verdict
    public var p: Double?
    public var q: Double?
    public var u: Double?
    /// Entropy of the sampling distribution at this position, in nats.
    public var entropy: Double?
    /// Draft tokens rejected at this position before this one was committed.
    public var rejected: [Int]
    /// The most probable tokens of the distribution that decided it, most probable first (empty
    /// unless the decoder was asked for `alternatives` events).
    public var alternatives: [Alternative] = []
}

/// One slot of a decoder's window after a pass: a draft token still waiting for its test, or
/// (SJD2) a noisy embedding at a noise level.
public struct DraftSlot: Sendable, Equatable {
    public var position: Int
    /// The draft token (nil for a noisy SJD2 slot that has no token yet).
    public var token: Int?
    public var q: Double?
    /// SJD2 noise level (0 = clean).
    public var level: Int
    /// Entropy of this pass's sampling distribution at the slot, in nats, if reported.
    public var entropy: Double?
    /// The most probable tokens of that distribution, if reported.
    public var alternatives: [Alternative] = []
}

/// A CNTP branch point: the stem position, the entropy, the trials and their perplexities.
public struct BranchState: Sendable, Equatable {
    public struct Trial: Sendable, Equatable {
        public var tokens: [Int] = []
        public var probabilities: [Double] = []
        public var perplexity: Double?
        public init(tokens: [Int] = [], probabilities: [Double] = [], perplexity: Double? = nil) {
            self.tokens = tokens; self.probabilities = probabilities; self.perplexity = perplexity
        }
    }
    public var position: Int
    public var entropy: Double
    /// The trial count the entropy formula gave.
    public var trialCount: Int
    public var trials: [Trial]
    public var chosen: Int?
}

/// A decoder after one tick. Tick 0 is the state before any forward pass.
public struct StepRecord: Sendable {
    public var tick: Int
    /// What the decoder did in this pass (empty for tick 0 and for ticks after it finished).
    public var events: [TraceEvent]
    public var stats: DecodeStats
    /// Tokens committed after the prompt so far.
    public var committedCount: Int
    /// Drafts and noisy slots after the pass, by position.
    public var window: [DraftSlot]
    /// The latest CNTP branch (open or just chosen).
    public var branch: BranchState?
    /// Why the decoder stopped, once it has.
    public var finished: String?
    /// The error that stopped it, if one did.
    public var error: String?
}
