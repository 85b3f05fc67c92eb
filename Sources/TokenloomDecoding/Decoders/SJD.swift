// SJD: Speculative Jacobi Decoding (Teng et al., ICLR 2025), as the reference code runs it.
// A Jacobi window whose drafts are judged with speculative sampling's rule instead of exact match,
// so sampling stays exactly the model's distribution (lossless):
//   fresh draft x (random / spatial init): q = one-hot(x), accepted with probability p(x);
//   carried draft x (sampled last pass):   q = last pass's p at that slot;
//   accept if u < min(1, p(x) / q(x)); at the first rejection resample from norm(max(0, p - q));
//   if every draft passes, a bonus token from the last row; the rest of the window is refreshed
//   with this pass's samples (Jacobi update) and the cache is truncated to the accepted prefix.
// Optional maximal coupling (MC-SJD): a refreshed slot keeps its old draft x with probability
// min(1, p_new(x) / q_old(x)), else draws from norm(max(0, p_new - q_old)); its marginal stays p_new.
import TokenloomModels

/// The distribution a draft was drawn from.
enum DraftQ {
    case oneHot
    case dist(Distribution)

    func prob(_ x: Int) -> Double {
        switch self {
        case .oneHot: return 1
        case .dist(let d): return d[x]
        }
    }

    /// After draft x (drawn from this q) was rejected under p: a draw from norm(max(0, p - q)),
    /// or from p when that is empty (p == q). Shared by SJD's and SJD2's rejections.
    func residualDraw(_ p: Distribution, draft x: Int, rng: inout SeededRNG) -> Int {
        var r = p.probs                                                                    // [vocab]
        switch self {
        case .oneHot: r[x] = 0
        case .dist(let qd): for v in 0..<r.count { r[v] = max(0, r[v] - qd.probs[v]) }
        }
        if r.allSatisfy({ $0 <= 0 }) { return p.sample(&rng) }
        return Sampler.draw(weights: r, u: rng.uniform())
    }
}

/// Which acceptance rule SJD applies. `acceptSampled` (the `sjd-accept-all` decoder) is wrong on
/// purpose, for teaching: it keeps every draft that was sampled in an earlier pass without the test.
/// `acceptAlways` is wrong too and exists only so the tests can show their power.
enum SJDAcceptance { case speculative, acceptSampled, acceptAlways }

public final class SJDDecoder: StateBackedDecoder {
    public var name: String { acceptance == .acceptSampled ? "SJD accept-all" : "SJD" }
    public let L: Int
    public let initScheme: DraftInit
    public let coupling: Bool
    /// Generated-token indices where the window is used (the reference's Jacobi interval, which
    /// leaves an image's header and last tokens to plain AR); nil: everywhere.
    public let jacobiRange: Range<Int>?
    public let state: DecodeState
    var acceptance = SJDAcceptance.speculative
    /// Deliberately wrong (the bonus token comes from row L-2, the last draft's own position, instead
    /// of the last row); only for the tests' power check.
    var bonusFromRowBefore = false
    /// Deliberately wrong (MC-SJD keeps the old draft with probability min(1, p_new(x)), ignoring
    /// q_old); only for the tests' power check.
    var couplingIgnoresOldQ = false
    /// Drafts for the positions after the last committed token, with their q. // [<= L-1]
    var drafts: [(token: Int, q: DraftQ)] = []

    public init(model: CausalModel, prompt: [Int], settings: DecodeSettings, window L: Int = 16,
                initScheme: DraftInit = .random, coupling: Bool = false, jacobiRange: Range<Int>? = nil) throws {
        guard L >= 1 else { throw DecodeError.badSettings("the window must be >= 1, got \(L)") }
        self.L = L; self.initScheme = initScheme; self.coupling = coupling; self.jacobiRange = jacobiRange
        state = try DecodeState(model: model, prompt: prompt, settings: settings)
    }


    public var mode: String {
        samplerMode(state.settings.sampler) + " W\(L)" + (coupling ? " MC" : "") + (acceptance == .acceptSampled ? " LOSSY" : "")
    }
    public var rule: String {
        if acceptance == .acceptSampled {
            return "SJD accept-all, WRONG ON PURPOSE: it keeps every draft that was sampled in an earlier pass without testing it, "
                .replacingOccurrences(of: "# ", with: "")
                + "and tests only fresh random drafts with u < min(1, p/q). Skipping the test is faster, but the output is no longer "
                + "distributed as sampling AR's: it exists to show that SJD's test is what keeps the output right."
        }
        return "SJD (\(samplerMode(state.settings.sampler)), window \(L)): one forward pass over the last committed token and up to \(L - 1) drafts. "
            + "A draft x, drawn earlier from a distribution q, is kept when u < min(1, p(x)/q(x)), where p is this pass's "
            + "distribution at its position and u is uniform in [0, 1). At the first rejection a token is drawn from "
            + "norm(max(0, p − q)) instead, and everything after it waits; when every draft passes, the last row adds one more token. "
            + "This keeps the output distributed exactly as sampling AR's. The rest of the window is refreshed with this pass's samples."
    }

    public func step() throws -> [TraceEvent] {
        guard !state.isFinished else { return [] }
        if !state.prefilled {
            // Prefill, then the first token is sampled normally (one token for this pass).
            let (logits, fwd) = try state.forward(state.prompt)
            var events = [fwd]
            let p = state.distribution(logits, logits.rows - 1, predicting: state.length)
            events += state.entropyEvents(logits, logits.rows - 1, predicting: state.length, warped: p)
            state.commit([p.sample(&state.rng)], events: &events)
            return events
        }
        // Window for this pass: L inside the Jacobi interval (shrinking to its end), else 1.
        let g = state.generated.count                            // index of the next token
        var Leff = L
        if let r = jacobiRange { Leff = r.contains(g) ? min(L, r.upperBound - g) : 1 }
        Leff = min(Leff, state.remaining)
        drafts = Array(drafts.prefix(Leff - 1))
        let fresh = initScheme.fill(count: Leff - 1 - drafts.count,
                                    firstIndex: state.generated.count + drafts.count,
                                    available: state.generated + drafts.map(\.token),
                                    lastToken: state.lastToken, state: state)
        drafts += fresh.map { (token: $0, q: DraftQ.oneHot) }
        let n = state.length - 1                                  // position of the last committed token
        var events: [TraceEvent] = []
        let (logits, fwd) = try state.forward([state.lastToken] + drafts.map(\.token))
        events.append(fwd)
        for (j, d) in drafts.enumerated() { events.append(.draft(position: n + 1 + j, token: d.token, q: d.q.prob(d.token))) }
        // p[j]: warped distribution of row j, predicting position n+1+j; y[j] ~ p[j].
        let p = (0..<Leff).map { state.distribution(logits, $0, predicting: n + 1 + $0) }   // [Leff][vocab]
        let y = p.map { $0.sample(&state.rng) }                                            // [Leff]
        for j in 0..<Leff { events += state.entropyEvents(logits, j, predicting: n + 1 + j, warped: p[j]) }
        var out: [Int] = []
        var allAccepted = true
        for i in 1..<Leff {
            let (x, q) = drafts[i - 1]
            let position = n + i
            let px = p[i - 1][x], qx = q.prob(x)
            let u = state.rng.uniform()
            let ratio = qx > 0 ? px / qx : (px > 0 ? Double.infinity : 0)
            let skipsTest: Bool
            switch acceptance {
            case .speculative: skipsTest = false
            case .acceptAlways: skipsTest = true
            case .acceptSampled: if case .dist = q { skipsTest = true } else { skipsTest = false }
            }
            if skipsTest || u < min(1, ratio) {
                state.emit(.accept(position: position, token: x, p: px, q: qx, u: u), into: &events)
                out.append(x)
            } else {
                state.emit(.reject(position: position, token: x, p: px, q: qx, u: u), into: &events)
                let r = residual(p[i - 1], minus: q, draft: x)
                events.append(.resample(position: position, token: r))
                out.append(r)
                allAccepted = false
                break
            }
        }
        if allAccepted {                                          // every draft passed: the bonus token
            out.append(y[bonusFromRowBefore && Leff >= 2 ? Leff - 2 : Leff - 1])
        }
        let m = out.count
        let kept = state.commit(out, events: &events)
        state.cache.truncate(to: n + kept)
        // Jacobi refresh: this pass's samples (or their coupled versions) become the next drafts.
        var next: [(token: Int, q: DraftQ)] = []
        for j in m..<Leff {
            var token = y[j]
            if coupling && j < drafts.count {
                let (x, qOld) = drafts[j]
                let keep = couplingIgnoresOldQ ? min(1, p[j][x]) : min(1, qOld.prob(x) > 0 ? p[j][x] / qOld.prob(x) : 0)
                token = state.rng.uniform() < keep ? x : residual(p[j], minus: qOld, draft: x)
            }
            next.append((token: token, q: .dist(p[j])))
        }
        drafts = next
        return events
    }

    private func residual(_ p: Distribution, minus q: DraftQ, draft x: Int) -> Int {
        q.residualDraw(p, draft: x, rng: &state.rng)
    }
}
