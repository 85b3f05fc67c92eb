// Explain: the rule of the current pass in plain words, with this pass's numbers (`e`).
import TokenloomDecoding
import TokenloomSession

public enum Explain {
    static func q(_ presenter: TokenPresenter, _ token: Int) -> String {
        "\"" + presenter.piece(token).replacingOccurrences(of: "\n", with: "\\n") + "\""
    }

    /// Paragraphs explaining what `pane` did in its current pass.
    public static func text(_ pane: DecoderSnapshot, _ presenter: TokenPresenter) -> [String] {
        let ev = pane.current.events
        guard pane.current.tick > 0, !ev.isEmpty else {
            if pane.current.tick == 0 { return ["\(pane.name) has not run yet. Press n for one forward pass, Space to play."] }
            if let f = pane.current.finished { return ["\(pane.name) finished (\(f)); nothing happened in this pass."] }
            return ["Nothing was recorded for this pass (old passes keep their state, not their events)."]
        }
        var out: [String] = []
        for e in ev {
            if case .forward(let start, let count, let ms) = e {
                out.append("Pass \(pane.current.tick) of \(pane.name): one forward pass of the model over \(count) position\(count == 1 ? "" : "s") starting at @\(start) (\(fmt(ms, 1)) ms). "
                           + (count > 1 ? "All of them are read with the weights loaded once, which is why a wide pass costs little more than one token." : ""))
            }
        }
        let accepts = ev.compactMap { e -> (Int, Int, Double, Double, Double)? in
            if case .accept(let p, let t, let pp, let qq, let u) = e { return (p, t, pp, qq, u) }; return nil }
        let rejects = ev.compactMap { e -> (Int, Int, Double, Double, Double)? in
            if case .reject(let p, let t, let pp, let qq, let u) = e { return (p, t, pp, qq, u) }; return nil }
        if !accepts.isEmpty || !rejects.isEmpty {
            out.append("Each draft x is kept when u < min(1, p(x)/q(x)), u uniform in [0,1): p is this pass's distribution, q the one the draft was drawn from. This keeps the output distributed exactly as p.")
            for a in accepts.prefix(4) {
                out.append("@\(a.0) \(q(presenter, a.1)): p \(fmt(a.2, 3)) / q \(fmt(a.3, 3)) → min(1,p/q) = \(Inspector.ratio(a.2, a.3)) ≥ u = \(fmt(a.4, 3)): accepted.")
            }
            if accepts.count > 4 { out.append("… and \(accepts.count - 4) more accepted.") }
            for r in rejects {
                var line = "@\(r.0) \(q(presenter, r.1)): p \(fmt(r.2, 3)) / q \(fmt(r.3, 3)) → min(1,p/q) = \(Inspector.ratio(r.2, r.3)) < u = \(fmt(r.4, 3)): rejected."
                if let res = ev.compactMap({ e -> Int? in if case .resample(let p, let t) = e, p == r.0 { return t }; return nil }).first {
                    line += " The token there was drawn again from norm(max(0, p − q)), the part of p the draft did not cover: \(q(presenter, res))."
                }
                line += " Everything after it waits for the next pass."
                out.append(line)
            }
        }
        for e in ev {
            switch e {
            case .commit(let start, let tokens):
                let span = tokens.count == 1 ? "@\(start)" : "@\(start)…@\(start + tokens.count - 1)"
                out.append("Committed \(tokens.count) token\(tokens.count == 1 ? "" : "s") at \(span): "
                           + tokens.prefix(12).map { q(presenter, $0) }.joined(separator: " ") + (tokens.count > 12 ? " …" : ""))
            case .branchOpened(let pos, let h, let n):
                out.append("CNTP: the entropy at @\(pos) is \(fmt(h, 3)) nats, so the model is unsure here. N = 1 + 9·clamp((H − 0.01)/1.49, 0, 1) gives \(n) trial\(n == 1 ? "" : "s"): each samples on until punctuation, and the one with the lowest perplexity wins.")
            case .trialToken(let trial, let tok, let p):
                out.append("Trial \(trial + 1) sampled \(q(presenter, tok)) with probability \(fmt(p, 3)).")
            case .trialScored(let trial, let ppl):
                out.append("Trial \(trial + 1) ended: perplexity exp(mean −ln p) = \(fmt(ppl, 3)).")
            case .branchChosen(let trial):
                out.append("Trial \(trial + 1) has the lowest perplexity: its tokens are committed and decoding continues from its end.")
            case .finished(let reason):
                out.append("\(pane.name) finished: \(reason).")
            default: break
            }
        }
        let denoised = ev.compactMap { e -> (Int, Int)? in if case .denoise(let p, let l) = e { return (p, l) }; return nil }
        if !denoised.isEmpty {
            let levels = denoised.map(\.1)
            out.append("SJD2: \(denoised.count) noisy slot\(denoised.count == 1 ? "" : "s") moved one step toward clean (levels now \(levels.min()!)…\(levels.max()!)); slots that reach level 0 become drafts and are tested like SJD's.")
        }
        if accepts.isEmpty && rejects.isEmpty && !ev.contains(where: { if case .branchOpened = $0 { return true }; return false }) {
            for e in ev { if case .entropy(let pos, let h) = e {
                out.append("Sampled one token from the model's distribution at @\(pos) (entropy \(fmt(h, 3)) nats): one token per pass is plain autoregressive decoding.")
                break
            } }
        }
        return out
    }
}
