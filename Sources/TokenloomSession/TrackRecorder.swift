// TrackRecorder: turns one decoder's stream of trace events into StepRecords and committed
// tokens. It keeps only compact state (the window, the open branch, per-position numbers of
// positions not yet committed), so a long run costs its events plus a few words per token.
import TokenloomDecoding

struct TrackRecorder {
    let promptCount: Int
    private(set) var committed: [CommittedToken] = []
    private(set) var fuserGates: [Int: Double] = [:]
    private var window: [Int: DraftSlot] = [:]
    private var branch: BranchState?
    private var finished: String?
    // Numbers seen for positions not yet committed.
    private var entropyAt: [Int: Double] = [:]
    private var alternativesAt: [Int: [Alternative]] = [:]
    private var verdictAt: [Int: (verdict: Verdict, p: Double?, q: Double?, u: Double?)] = [:]
    private var rejectedAt: [Int: [Int]] = [:]
    private var resampledAt: Set<Int> = []

    init(promptCount: Int) { self.promptCount = promptCount }

    /// Folds one pass's events into the state and returns the record of this tick.
    mutating func record(tick: Int, events: [TraceEvent], stats: DecodeStats, error: String? = nil) -> StepRecord {
        for e in events {
            switch e {
            case .forward: break
            case .draft(let pos, let tok, let q):
                window[pos] = DraftSlot(position: pos, token: tok, q: q, level: window[pos]?.level ?? 0, entropy: nil)
            case .accept(let pos, _, let p, let q, let u):
                verdictAt[pos] = (.accepted, p, q, u)
            case .reject(let pos, let tok, let p, let q, let u):
                verdictAt[pos] = (.resampled, p, q, u)
                rejectedAt[pos, default: []].append(tok)
            case .match(let pos, let guess, let target):
                // A kept guess is an accepted draft; a replaced one leaves the pass's own prediction.
                if guess == target { verdictAt[pos] = (.accepted, nil, nil, nil) } else { rejectedAt[pos, default: []].append(guess) }
            case .resample(let pos, _):
                resampledAt.insert(pos)
            case .commit(let start, let tokens):
                for (i, tok) in tokens.enumerated() {
                    let pos = start + i
                    let v = verdictAt[pos]
                    let verdict: Verdict = resampledAt.contains(pos) ? .resampled : (v?.verdict ?? .sampled)
                    committed.append(CommittedToken(
                        position: pos, token: tok, tick: tick, verdict: verdict,
                        p: v?.p, q: v?.q, u: v?.u, entropy: entropyAt[pos], rejected: rejectedAt[pos] ?? [],
                        alternatives: alternativesAt[pos] ?? []))
                    window[pos] = nil; entropyAt[pos] = nil; alternativesAt[pos] = nil; verdictAt[pos] = nil
                    rejectedAt[pos] = nil; resampledAt.remove(pos)
                }
            case .entropy(let pos, let nats):
                entropyAt[pos] = nats
            case .alternatives(let pos, let tokens, let probs):
                alternativesAt[pos] = zip(tokens, probs).map { Alternative(token: $0, p: $1) }
            case .branchOpened(let pos, let h, let n):
                branch = BranchState(position: pos, entropy: h, trialCount: n, trials: [], chosen: nil)
            case .trialToken(let trial, let tok, let p):
                guard var b = branch, trial >= 0, trial < 4096 else { break }
                while b.trials.count <= trial { b.trials.append(.init()) }
                b.trials[trial].tokens.append(tok); b.trials[trial].probabilities.append(p)
                branch = b
            case .trialScored(let trial, let ppl):
                guard var b = branch, trial >= 0, trial < 4096 else { break }
                while b.trials.count <= trial { b.trials.append(.init()) }
                b.trials[trial].perplexity = ppl
                branch = b
            case .branchChosen(let trial):
                branch?.chosen = trial
            case .denoise(let pos, let level):
                var slot = window[pos] ?? DraftSlot(position: pos, token: nil, q: nil, level: level, entropy: nil)
                slot.level = level
                window[pos] = slot
            case .fuserGate(let index, let value):
                fuserGates[index] = value
            case .ngram: break
            case .finished(let reason):
                finished = reason
            }
        }
        // Drafts behind the committed frontier are gone.
        let frontier = promptCount + committed.count
        if window.keys.contains(where: { $0 < frontier }) {
            window = window.filter { $0.key >= frontier }
        }
        for (pos, h) in entropyAt where window[pos] != nil { window[pos]?.entropy = h }
        for (pos, a) in alternativesAt where window[pos] != nil { window[pos]?.alternatives = a }
        return StepRecord(tick: tick, events: events, stats: stats, committedCount: committed.count,
                          window: window.values.sorted { $0.position < $1.position },
                          branch: branch, finished: finished, error: error)
    }
}
