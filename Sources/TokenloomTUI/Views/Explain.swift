// Explain: the rule of the current pass in plain words, with this pass's numbers (`e`).
import TokenloomDecoding
import TokenloomSession

public enum Explain {
    static func q(_ presenter: TokenPresenter, _ token: Int) -> String {
        "\"" + presenter.piece(token).replacingOccurrences(of: "\n", with: "\\n") + "\""
    }

    /// The median time of the 1-position forward passes in `panes`' recent records (the measured
    /// cost of one token on this machine), or nil when none ran.
    public static func onePositionMs(_ panes: [DecoderSnapshot]) -> Double? {
        var ms: [Double] = []
        for p in panes { for r in p.recent { for e in r.events { if case .forward(_, 1, let t) = e { ms.append(t) } } } }
        guard !ms.isEmpty else { return nil }
        return ms.sorted()[ms.count / 2]
    }

    /// Paragraphs explaining what `pane` did in its current pass: its decoder's rule with its
    /// parameters, then this pass's numbers. `onePositionMs` is the measured cost of a 1-position pass.
    public static func text(_ pane: DecoderSnapshot, _ presenter: TokenPresenter, onePositionMs: Double? = nil) -> [String] {
        let ev = pane.current.events
        guard pane.current.tick > 0, !ev.isEmpty else {
            if pane.current.tick == 0 { return ["\(pane.name) has not run yet. Press n for one forward pass, Space to play."] }
            if let f = pane.current.finished { return ["\(pane.name) finished (\(f)); nothing happened in this pass."] }
            return ["Nothing was recorded for this pass (old passes keep their state, not their events)."]
        }
        var out: [String] = pane.rule.isEmpty ? [] : [pane.rule]
        for e in ev {
            if case .forward(let start, let count, let ms) = e {
                var line = "Pass \(pane.current.tick) of \(pane.name): one forward pass of the model over \(count) position\(count == 1 ? "" : "s") starting at @\(start), measured at \(fmt(ms, 1)) ms."
                if count > 1, let one = onePositionMs, one > 0 {
                    line += " A 1-position pass measured here takes \(fmt(one, 1)) ms, so this one cost \(fmt(ms / one, 1))× one token's pass"
                        + " for \(count) positions. (On a GPU, or with a model whose weights dominate the memory traffic, a wide pass costs"
                        + " about what one position costs, because the weights are read once; this CPU is not in that regime when the ratio is far above 1.)"
                }
                out.append(line)
            }
        }
        let accepts = ev.compactMap { e -> (Int, Int, Double, Double, Double)? in
            if case .accept(let p, let t, let pp, let qq, let u) = e { return (p, t, pp, qq, u) }; return nil }
        let rejects = ev.compactMap { e -> (Int, Int, Double, Double, Double)? in
            if case .reject(let p, let t, let pp, let qq, let u) = e { return (p, t, pp, qq, u) }; return nil }
        for a in accepts.prefix(4) {
            let (r, u) = separated(min(1, a.2 / a.3), a.4)
            out.append("@\(a.0) \(q(presenter, a.1)): p \(fmt(a.2, 3)) / q \(fmt(a.3, 3)) → min(1,p/q) = \(r) > u = \(u): accepted.")
        }
        if accepts.count > 4 { out.append("… and \(accepts.count - 4) more accepted.") }
        for r in rejects {
            let (ratio, u) = separated(min(1, r.2 / r.3), r.4)
            var line = "@\(r.0) \(q(presenter, r.1)): p \(fmt(r.2, 3)) / q \(fmt(r.3, 3)) → min(1,p/q) = \(ratio) ≤ u = \(u): rejected."
            if let res = ev.compactMap({ e -> Int? in if case .resample(let p, let t) = e, p == r.0 { return t }; return nil }).first {
                line += " The token there was drawn again from norm(max(0, p − q)), the part of p the draft did not cover: \(q(presenter, res))."
            }
            line += " Everything after it waits for the next pass."
            out.append(line)
        }
        let matches = ev.compactMap { e -> (Int, Int, Int)? in if case .match(let p, let g, let t) = e { return (p, g, t) }; return nil }
        let kept = matches.filter { $0.1 == $0.2 }
        if !kept.isEmpty {
            let span = kept.count == 1 ? "@\(kept[0].0)" : "@\(kept[0].0)…@\(kept[kept.count - 1].0)"
            out.append("\(kept.count) guess\(kept.count == 1 ? "" : "es") at \(span) equal\(kept.count == 1 ? "s" : "") the prediction of the row before: kept.")
        }
        if let miss = matches.first(where: { $0.1 != $0.2 }) {
            out.append("@\(miss.0): the guess \(q(presenter, miss.1)) differs from the prediction \(q(presenter, miss.2)): it is replaced by \(q(presenter, miss.2)), and everything after it waits for the next pass.")
        }
        for e in ev {
            switch e {
            case .commit(let start, let tokens):
                let span = tokens.count == 1 ? "@\(start)" : "@\(start)…@\(start + tokens.count - 1)"
                out.append("Committed \(tokens.count) token\(tokens.count == 1 ? "" : "s") at \(span): "
                           + tokens.prefix(12).map { q(presenter, $0) }.joined(separator: " ") + (tokens.count > 12 ? " …" : ""))
            case .branchOpened(let pos, let h, let n):
                out.append("CNTP: the entropy at @\(pos) is \(fmt(h, 3)) nats, so the model is unsure here: the rule above gives \(n) trial\(n == 1 ? "" : "s"). Each samples on until punctuation, and the one with the lowest perplexity wins.")
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
            let clean = levels.filter { $0 == 0 }.count
            out.append("SJD2: \(denoised.count) noisy slot\(denoised.count == 1 ? "" : "s") moved toward clean (noise levels now \(levels.min()!)…\(levels.max()!))"
                       + (clean > 0 ? "; \(clean) reached level 0 and became drafts, to be tested like SJD's next pass." : "."))
        }
        if accepts.isEmpty && rejects.isEmpty && matches.isEmpty && !ev.contains(where: { if case .branchOpened = $0 { return true }; return false }) {
            for e in ev { if case .entropy(let pos, let h) = e {
                out.append("The token at @\(pos) came from one row of the model's distribution (entropy \(fmt(h, 3)) nats): one token per pass, as in plain autoregressive decoding.")
                break
            } }
        }
        return out
    }
}
