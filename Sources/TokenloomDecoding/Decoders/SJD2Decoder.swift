// SJD2: Speculative Jacobi-Denoising decoding (Teng et al., NeurIPS 2025), for an image model
// fine-tuned on next-clean-token prediction (ImageARModel). A window of W slots after the last
// committed token; a slot is either clean (a draft token x with the q it was drawn from) or noisy
// (a normalised embedding z at a denoising step s > 0). One forward pass per step:
//   inputs   [last committed][slot 0]..[slot W-1]    (noisy slots as sd z + mu with their level)
//   verify   along the clean prefix with SJD's rule: accept x if u < min(1, p(x)/q(x)), else
//            resample from norm(max(0, p - q)) and stop; at the first noisy slot stop and commit a
//            sample of its p (its context is the accepted clean prefix, so this is exact); if every
//            slot passed, a bonus token from the last row
//   update   the remaining clean slots take this pass's samples (Jacobi); noisy slots move one
//            step toward their predicted clean embedding ê0 = e0(y) (one-position offset):
//            z' = alpha' ê0 + sbar' (z - alpha ê0) / sbar   (deterministic DDIM), and become clean
//            (token y, q = p) at step 0
//   refill   fresh slots of pure noise (z ~ N(0, I), step K) at the tail, back to W.
// Schedules: `.perPass` (each pass moves a noisy slot one step: a slot needs K passes to come clean,
// which caps throughput near W/K tokens per pass), or `.byPosition`, the default (the window holds noise levels
// increasing along it, as in the paper's Fig. 2: a slot that moves to window index i jumps, by one
// deterministic DDIM step, to at most step floor(K i / W), so the front of the window is clean
// however many tokens the last pass committed). Both are lossless: see the last comment line.
// Every committed token is drawn from the model's distribution given the committed prefix: noisy
// inputs only shape drafts, never the p a token is committed from.
#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif
import TokenloomModels

public final class SJD2Decoder: StateBackedDecoder {
    /// How noisy slots move toward clean between passes (see the file comment).
    public enum Schedule: String, Sendable, CaseIterable { case perPass = "pass", byPosition = "position" }

    public let name = "SJD2"
    public let W: Int
    public let K: Int
    public let schedule: Schedule
    let model: ImageARModel
    public let state: DecodeState
    /// levels[s]: the model noise level of denoising step s (s = 0 clean ... K pure noise).
    let levels: [Int]

    struct Slot {
        var step: Int                 // 0 = clean
        var z: [Float]                // normalised embedding (noisy slots) // [d]
        var token: Int                // clean slots: the draft
        var q: DraftQ
    }
    var slots: [Slot] = []
    /// Deliberately wrong (accepts every clean draft); only for the tests' power check.
    var acceptAlways = false
    /// Deliberately wrong (at a noisy stop after accepted drafts, commits the next row's sample, which
    /// predicts the position after it); only for the tests' power check.
    var commitNextRowAtNoisyStop = false

    /// `window` W slots, `steps` K denoising steps spread over the model's noise levels.
    public init(model: ImageARModel, prompt: [Int], settings: DecodeSettings, window W: Int = 80, steps K: Int = 20,
                schedule: Schedule = .byPosition) throws {
        guard W >= 1 else { throw DecodeError.badSettings("the SJD2 window must be >= 1, got \(W)") }
        guard K >= 1 && K <= model.hp.levels else {
            throw DecodeError.badSettings("SJD2 steps must be in 1...\(model.hp.levels) (the model's noise levels), got \(K)")
        }
        self.W = W; self.K = K; self.model = model; self.schedule = schedule
        levels = (0...K).map { s in Int((Double(s) * Double(model.hp.levels) / Double(K)).rounded()) }
        state = try DecodeState(model: model, prompt: prompt, settings: settings)
    }


    func noiseSlot() -> Slot {
        var z = [Float](repeating: 0, count: model.hp.d)
        var i = 0
        while i < z.count {                         // Box-Muller pairs from the seeded generator
            let u1 = max(state.rng.uniform(), 1e-300), u2 = state.rng.uniform()
            let r = (-2 * log(u1)).squareRoot()
            z[i] = Float(r * cos(2 * Double.pi * u2))
            if i + 1 < z.count { z[i + 1] = Float(r * sin(2 * Double.pi * u2)) }
            i += 2
        }
        return Slot(step: K, z: z, token: -1, q: .oneHot)
    }

    public var mode: String { samplerMode(state.settings.sampler) + " W\(W) K\(K)" }
    public var rule: String {
        "SJD2 (\(samplerMode(state.settings.sampler)), window \(W), \(K) denoising steps, schedule \(schedule == .byPosition ? "by position" : "one step per pass")): "
            + "the window starts as noise. One forward pass feeds clean drafts as tokens and noisy slots as embeddings with their noise level. "
            + "Clean drafts at the front are tested like SJD's (u < min(1, p/q)); the first noisy slot stops the test and takes a sample of p. "
            + (schedule == .byPosition
               ? "Noisy slots then move toward the clean embedding the model predicts; a slot that moves to window index i jumps to at most step floor(\(K)·i/\(W)), so it may become clean in one pass."
               : "Noisy slots then move one denoising step toward the clean embedding the model predicts.")
            + " A slot at level 0 becomes a draft."
    }

    public func step() throws -> [TraceEvent] {
        guard !state.isFinished else { return [] }
        let w = model.weights
        let Leff = max(0, min(W, state.remaining - 1))          // slots that can still be committed
        while slots.count < Leff { slots.append(noiseSlot()) }
        slots = Array(slots.prefix(Leff))
        let start = state.prefilled ? [state.lastToken] : state.prompt
        let n = state.length - 1                                  // position of the last committed token
        let inputs: [ModelInput] = start.map { .token($0) } + slots.map {
            $0.step == 0 ? .token($0.token) : .embedding(w.modelSpace($0.z), level: levels[$0.step])
        }
        let c0 = state.cache.count
        let (logits, fwd) = try state.forward(inputs: inputs)
        var events: [TraceEvent] = [fwd]
        let r0 = start.count - 1                                  // row predicting position n + 1
        for (j, s) in slots.enumerated() where s.step == 0 {
            events.append(.draft(position: n + 1 + j, token: s.token, q: s.q.prob(s.token)))
        }
        // p[j]: distribution predicting position n+1+j (row r0 + j); y[j] ~ p[j].
        let p = (0...Leff).map { state.distribution(logits, r0 + $0, predicting: n + 1 + $0) }
        let y = p.map { $0.sample(&state.rng) }
        var out: [Int] = []
        var stopped = false
        for i in 0..<Leff {
            let s = slots[i]
            let position = n + 1 + i
            if s.step > 0 {                                       // noisy input: commit a sample of p
                out.append(commitNextRowAtNoisyStop && i > 0 ? y[i + 1] : y[i]); stopped = true; break
            }
            let px = p[i][s.token], qx = s.q.prob(s.token)
            let u = state.rng.uniform()
            let ratio = qx > 0 ? px / qx : (px > 0 ? Double.infinity : 0)
            if acceptAlways || u < min(1, ratio) {
                state.emit(.accept(position: position, token: s.token, p: px, q: qx, u: u), into: &events)
                out.append(s.token)
            } else {
                state.emit(.reject(position: position, token: s.token, p: px, q: qx, u: u), into: &events)
                let r = residual(p[i], minus: s.q, draft: s.token)
                events.append(.resample(position: position, token: r))
                out.append(r); stopped = true; break
            }
        }
        if !stopped { out.append(y[Leff]) }                       // every slot passed: the bonus token
        let m = out.count
        // Entropy (and top alternatives) of the distribution each committed token came from, so the
        // heatmap and the inspector work on SJD2 as on SJD.
        for j in 0..<m { events += state.entropyEvents(logits, r0 + j, predicting: n + 1 + j, warped: p[j]) }
        let kept = state.commit(out, events: &events)
        state.cache.truncate(to: c0 + start.count - 1 + kept)
        // Remaining slots j = m..<Leff (predicted by row j): Jacobi refresh or one denoising step.
        var next: [Slot] = []
        for j in min(m, Leff)..<Leff {
            var s = slots[j]
            if s.step == 0 {
                s.token = y[j]; s.q = .dist(p[j])
            } else {
                let e0 = w.normalisedEmbedding(of: y[j])
                let a = w.alpha(level: levels[s.step]), sb = w.sigmaBar(level: levels[s.step])
                switch schedule {
                case .perPass: s.step -= 1
                case .byPosition: s.step = min(s.step - 1, K * (j - m) / W)   // its new window index is j - m
                }
                if s.step == 0 {
                    s.token = y[j]; s.q = .dist(p[j]); s.z = []
                } else {
                    let a1 = w.alpha(level: levels[s.step]), sb1 = w.sigmaBar(level: levels[s.step])
                    for c in 0..<s.z.count { s.z[c] = a1 * e0[c] + sb1 * (s.z[c] - a * e0[c]) / sb }
                }
                events.append(.denoise(position: n + 1 + j, level: levels[s.step]))
            }
            next.append(s)
        }
        slots = next
        return events
    }

    private func residual(_ p: Distribution, minus q: DraftQ, draft x: Int) -> Int {
        q.residualDraw(p, draft: x, rng: &state.rng)
    }
}
