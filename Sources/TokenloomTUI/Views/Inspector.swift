// Inspector: the numbers behind the token under the cursor — p(x), q(x), u, min(1, p/q), the
// verdict, the entropy, the top alternatives (the chosen one marked), the drafts rejected there —
// read from the events that decided it.
import TokenloomDecoding
import TokenloomSession

public struct Inspector {
    public let pane: DecoderSnapshot
    public let presenter: TokenPresenter
    public let ui: UIState

    public init(pane: DecoderSnapshot, presenter: TokenPresenter, ui: UIState) {
        self.pane = pane; self.presenter = presenter; self.ui = ui
    }

    /// Where the cursor is when the user has not moved it: the first rejection of this pass,
    /// else the newest committed token, else the first draft.
    public static func defaultCursor(_ pane: DecoderSnapshot) -> Int? {
        if let r = pane.rejectedThisTick.min() { return r }
        if let c = pane.committed.last { return c.position }
        return pane.current.window.first?.position
    }

    func quoted(_ token: Int) -> String {
        "\"" + presenter.piece(token).replacingOccurrences(of: "\n", with: "\\n") + "\" #\(token)"
    }

    static func ratio(_ p: Double?, _ q: Double?) -> String {
        guard let p, let q, q > 0 else { return "–" }
        return fmt(min(1, p / q), 3)
    }

    /// The inspector's lines for `position`.
    public func lines(at position: Int) -> [String] {
        var out: [String] = []
        // This pass's verdict at the position, if it had one.
        var verdictLine: String?
        for e in pane.current.events {
            switch e {
            case .accept(let pos, let tok, let p, let q, let u) where pos == position:
                verdictLine = "this pass: \(quoted(tok)) accepted: p \(fmt(p, 3))  q \(fmt(q, 3))  u \(fmt(u, 3))  min(1,p/q) \(Inspector.ratio(p, q))"
            case .reject(let pos, let tok, let p, let q, let u) where pos == position:
                verdictLine = "this pass: \(quoted(tok)) rejected: p \(fmt(p, 3))  q \(fmt(q, 3))  u \(fmt(u, 3))  min(1,p/q) \(Inspector.ratio(p, q)) ≤ u"
            case .match(let pos, let guess, let target) where pos == position:
                verdictLine = guess == target
                    ? "this pass: guess \(quoted(guess)) kept: it equals the prediction of the row before"
                    : "this pass: guess \(quoted(guess)) replaced: the row before predicts \(quoted(target))"
            default: break
            }
        }
        if let c = pane.committed(at: position) {
            // Greedy decoders pick the argmax: "sampled" would be false there.
            let how = c.verdict == .sampled && pane.mode.hasPrefix("greedy") ? "argmax" : c.verdict.rawValue
            out.append("@\(position) \(quoted(c.token))  \(how) at pass \(c.tick)")
            // p, q and u exist only where SJD's test ran; elsewhere say what decided the token instead.
            if c.p != nil || c.q != nil || c.u != nil {
                out.append("p \(fmt(c.p, 3))  q \(fmt(c.q, 3))  u \(fmt(c.u, 3))  min(1,p/q) \(Inspector.ratio(c.p, c.q))")
            } else if c.verdict == .accepted {
                out.append("kept: the guess equalled the prediction of the row before (an exact match; nothing drawn)")
            } else {
                out.append("no acceptance test: " + (how == "argmax" ? "the argmax of its row" : "drawn from its row's distribution"))
            }
            out.append("entropy \(fmt(c.entropy, 3)) nats")
            if let top = alternativesLine(c.alternatives, chosen: c.token) { out.append(top) }
            if !c.rejected.isEmpty { out.append("rejected here before: " + c.rejected.map(quoted).joined(separator: ", ")) }
        } else if let d = pane.draft(at: position) {
            let what = d.token.map(quoted) ?? "no token yet"
            out.append("@\(position) \(what)  " + (d.level > 0 ? "noisy, level \(d.level)" : "draft, waiting for its test"))
            out.append("q \(fmt(d.q, 3))  entropy \(fmt(d.entropy, 3)) nats")
            if let top = alternativesLine(d.alternatives, chosen: d.token) { out.append(top) }
        } else if position < pane.promptCount, position >= 0 {
            out.append("@\(position) \(quoted(pane.prompt[position]))  prompt")
        } else {
            out.append("@\(position)  nothing here yet")
        }
        if let v = verdictLine { out.append(v) }
        if let top = topLine(at: position) { out.append(top) }
        return out
    }

    /// The most probable tokens of the distribution at the position with their probabilities, the one
    /// that stands there marked (▸, or > in ASCII mode); pieces without ids, to fit one line; nil when
    /// the decoder recorded none.
    func alternativesLine(_ alternatives: [Alternative], chosen: Int?) -> String? {
        guard !alternatives.isEmpty else { return nil }
        let mark = ui.ascii ? ">" : "▸"
        return "top \(alternatives.count): " + alternatives.map { a in
            let piece = presenter.piece(a.token).replacingOccurrences(of: "\n", with: "\\n")
            return (a.token == chosen ? mark : "") + "\"\(piece)\" \(fmt(a.p, 3))"
        }.joined(separator: "  ")
    }

    /// CNTP's alternatives, when the decoder recorded them (trial tokens of a CNTP branch at the stem).
    func topLine(at position: Int) -> String? {
        guard let b = pane.current.branch, b.position == position else { return nil }
        let firsts = b.trials.compactMap { t -> (Int, Double)? in
            guard let tok = t.tokens.first, let p = t.probabilities.first else { return nil }
            return (tok, p)
        }
        var seen = Set<Int>()
        let uniq = firsts.filter { seen.insert($0.0).inserted }.sorted { $0.1 > $1.1 }.prefix(5)
        guard !uniq.isEmpty else { return nil }
        return "trial first tokens: " + uniq.map { "\(quoted($0.0)) \(fmt($0.1, 3))" }.joined(separator: "  ")
    }

    public func draw(into canvas: inout Canvas, _ r: Rect, position: Int?) {
        let t = ui.theme
        let style = Style(fg: t.color(.foreground), bg: t.color(.background))
        guard let position else {
            canvas.put("inspector: no token yet (j/k move the cursor)", x: r.x, y: r.y, style.with(fg: t.color(.muted)), maxX: r.maxX)
            return
        }
        for (i, l) in lines(at: position).prefix(r.height).enumerated() {
            canvas.put(l, x: r.x, y: r.y + i, i == 0 ? style.with(attrs: [.bold]) : style, maxX: r.maxX)
        }
    }
}
