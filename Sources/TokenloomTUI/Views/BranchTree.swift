// BranchTree: a CNTP branch point as a tree — the stem position and its entropy, the trial
// count the formula gave, each trial's text up to its punctuation with its perplexity, and the
// winner (lowest perplexity) marked.
import TokenloomSession

public struct BranchTree {
    public let branch: BranchState
    public let presenter: TokenPresenter
    public let ui: UIState

    public init(branch: BranchState, presenter: TokenPresenter, ui: UIState) {
        self.branch = branch; self.presenter = presenter; self.ui = ui
    }

    /// The lines of the tree as (text, theme key, is winner).
    public func lines() -> [(text: String, key: ThemeKey, winner: Bool)] {
        var out: [(String, ThemeKey, Bool)] = []
        out.append(("branch @\(branch.position)  H=\(fmt(branch.entropy)) nats → \(branch.trialCount) trials", .title, false))
        let n = max(branch.trialCount, branch.trials.count)
        for i in 0..<n {
            let last = i == n - 1
            let stem = ui.ascii ? (last ? "`-" : "|-") : (last ? "└─" : "├─")
            let trial = i < branch.trials.count ? branch.trials[i] : BranchState.Trial()
            let text = trial.tokens.map { presenter.piece($0) }.joined().replacingOccurrences(of: "\n", with: "↵")
            let ppl = trial.perplexity.map { "ppl \(fmt($0))" } ?? (trial.tokens.isEmpty ? "waiting" : "running")
            let won = branch.chosen == i
            let mark = won ? (ui.ascii ? "  * winner" : "  ★ winner") : ""
            out.append(("\(stem) \(i + 1) \(ppl)  \"\(text)\"\(mark)", won ? .winner : (trial.perplexity == nil ? .muted : .foreground), won))
        }
        return out
    }

    @discardableResult
    public func draw(into canvas: inout Canvas, _ r: Rect) -> Int {
        let t = ui.theme
        let ls = lines()
        for (i, l) in ls.prefix(r.height).enumerated() {
            canvas.put(l.text, x: r.x, y: r.y + i, Style(fg: t.color(l.key), bg: t.color(.background), attrs: l.winner ? [.bold] : []),
                       maxX: r.maxX)
        }
        return min(r.height, ls.count)
    }
}
