// Screen: lays out the whole frame — title, decoder panes (side by side in compare mode), the
// inspector and fuser panel, timeline, status bar and overlays — as a pure function of a
// Snapshot and the UIState.
import TokenloomSession

public enum Screen {
    public static let minWidth = 60
    public static let minHeight = 16

    public static func render(_ s: Snapshot, _ ui: UIState, width: Int, height: Int) -> Canvas {
        var c = frame(s, ui, width: width, height: height)
        if ui.ascii { c.asciify() }
        return c
    }

    static func frame(_ s: Snapshot, _ ui: UIState, width: Int, height: Int) -> Canvas {
        let t = ui.theme
        let base = Style(fg: t.color(.foreground), bg: t.color(.background))
        var c = Canvas(width: width, height: height, fill: Cell(" ", base))
        guard width >= minWidth, height >= minHeight else {
            Chrome.tooSmall(&c, ui, width: width, height: height, need: (minWidth, minHeight))
            return c
        }
        Chrome.titleBar(&c, s, ui, width: width)
        Chrome.timelineBar(&c, s, ui, y: height - 2, width: width)
        Chrome.statusBar(&c, s, ui, y: height - 1, width: width)

        let infoH = height >= 24 ? 7 : 0
        let noteH = ui.tour != nil && height >= 20 ? TourNote.height : 0
        var panesRect = Rect(x: 0, y: 1, width: width, height: height - 3 - infoH - noteH)
        if s.panes.isEmpty {
            let msg = s.error.map { "could not start: \($0)" } ?? "loading \(s.title)…"
            for (i, l) in wrap(msg, width: width - 4).enumerated() {
                c.put(l, x: 2, y: panesRect.y + 1 + i, s.error != nil ? base.with(fg: t.color(.rejected)) : base)
            }
            return c
        }
        let focus = min(max(0, ui.focus), s.panes.count - 1)
        let shown: [Int] = ui.compare ? Array(s.panes.indices) : [focus]
        let infoY = panesRect.maxY
        if ui.compare && s.panes.count > 1 {
            // Compare summary: what each decoder got done on the same budget of passes.
            panesRect.height -= 1
            c.put(compareSummary(s), x: 1, y: panesRect.maxY, base.with(fg: t.color(.accent)), maxX: width - 1, ellipsis: true)
        }
        let paneW = panesRect.width / shown.count
        for (k, i) in shown.enumerated() {
            let w = k == shown.count - 1 ? panesRect.width - paneW * k : paneW
            drawPane(&c, s.panes[i], s.presenter, ui, Rect(x: k * paneW, y: panesRect.y, width: w, height: panesRect.height),
                     focused: i == focus && s.panes.count > 1 || shown.count == 1, index: i)
        }
        if infoH > 0 {
            let pane = s.panes[focus]
            let r = Rect(x: 0, y: infoY, width: width, height: infoH)
            let hasGates = !s.fuser.isEmpty || !pane.fuserGates.isEmpty
            let inspW = hasGates ? width * 3 / 5 : width
            c.box(Rect(x: r.x, y: r.y, width: inspW, height: r.height), base.with(fg: t.color(.border)),
                  title: "inspector · \(pane.name)", titleStyle: base.with(fg: t.color(.title)), ascii: ui.ascii)
            let cursor = ui.cursor ?? Inspector.defaultCursor(pane)
            Inspector(pane: pane, presenter: s.presenter, ui: ui).draw(into: &c, Rect(x: r.x + 2, y: r.y + 1, width: inspW - 4, height: r.height - 2), position: cursor)
            if hasGates {
                let fr = Rect(x: inspW, y: r.y, width: width - inspW, height: r.height)
                c.box(fr, base.with(fg: t.color(.border)), title: "fuser", titleStyle: base.with(fg: t.color(.title)), ascii: ui.ascii)
                let gates = !s.fuser.isEmpty ? s.fuser : pane.fuserGates.enumerated().map { i, g in
                    FuserGate(label: i < pane.prompt.count ? s.presenter.piece(pane.prompt[i]) : "#\(i)", value: g)
                }
                Chrome.fuserPanel(&c, gates, ui, fr.inset(1))
            }
        }
        if noteH > 0, let guide = ui.tour {
            TourNote.draw(&c, guide, tick: s.tick, busy: s.busy, ui, Rect(x: 0, y: height - 2 - noteH, width: width, height: noteH))
        }
        switch ui.overlay {
        case .help?: Chrome.help(&c, ui, width: width, height: height)
        case .explain?: Chrome.explain(&c, s.panes[focus], s.presenter, ui, width: width, height: height,
                                       onePositionMs: Explain.onePositionMs(s.panes))
        case .legend?: Legend.draw(&c, s.panes[focus], s.presenter, ui, width: width, height: height)
        case .distribution?: DistributionView.draw(&c, s, ui, width: width, height: height)
        case nil: break
        }
        return c
    }

    /// `compare · pass 8: AR 8 tok, 1.00/pass · SJD 24 tok, 3.00/pass, wall 0.52× AR`: each decoder's
    /// tokens and tokens per pass over the passes it actually ran (`done in N passes` once it finished),
    /// and its wall-clock speed (tokens per ms of forward passes) relative to the first pane's.
    public static func compareSummary(_ s: Snapshot) -> String {
        guard let base = s.panes.first else { return "" }
        func speed(_ p: DecoderSnapshot) -> Double? {
            p.stats.forwardMs > 0 && p.stats.tokensCommitted > 0 ? Double(p.stats.tokensCommitted) / p.stats.forwardMs : nil
        }
        let parts = s.panes.enumerated().map { i, p -> String in
            var part = "\(p.name) \(p.stats.tokensCommitted) tok, \(fmt(p.stats.tokensPerPass))/pass"
            if p.current.finished != nil || p.nfe < s.tick { part += ", done in \(p.nfe) passes" }
            if i > 0, let a = speed(p), let b = speed(base) { part += ", wall \(fmt(a / b))× \(base.name)" }
            return part
        }
        return "compare · pass \(s.tick): " + parts.joined(separator: " · ")
    }

    /// The title a pane shows: the decoder's name, its settings and its forward-pass count.
    public static func paneTitle(_ p: DecoderSnapshot) -> String {
        var s = p.name + (p.mode.isEmpty ? "" : " · \(p.mode)") + " · NFE \(p.nfe)"
        if p.current.error != nil { s += " · error" } else if p.current.finished != nil { s += " · done" }
        return s
    }

    static func drawPane(_ c: inout Canvas, _ p: DecoderSnapshot, _ presenter: TokenPresenter, _ ui: UIState, _ r: Rect, focused: Bool,
                         index: Int = 0) {
        let t = ui.theme
        let base = Style(fg: t.color(.foreground), bg: t.color(.background))
        c.box(r, base.with(fg: t.color(focused ? .borderFocus : .border)), title: paneTitle(p),
              titleStyle: base.with(fg: t.color(.title), attrs: focused ? [.bold] : []), ascii: ui.ascii)
        let inner = r.inset(1)
        guard inner.height > 2 else { return }
        // Last line of the pane: the stats every decoder reports.
        let st = p.stats
        var stats = "\(st.tokensCommitted) tok · \(fmt(st.tokensPerPass)) tok/pass"
        if st.drafted > 0 { stats += " · acc \(Int((st.acceptanceRate * 100).rounded()))%" }
        if st.forwardPasses > 0 { stats += " · \(fmt(st.forwardMs / Double(st.forwardPasses), 1)) ms/pass" }
        c.put(stats, x: inner.x, y: inner.maxY - 1, base.with(fg: t.color(.muted)), maxX: inner.maxX, ellipsis: true)
        if let err = p.current.error {
            c.put("error: " + err, x: inner.x, y: inner.maxY - 2, base.with(fg: t.color(.rejected)), maxX: inner.maxX)
        }
        let body = Rect(x: inner.x, y: inner.y, width: inner.width, height: inner.height - (p.current.error == nil ? 2 : 3))
        switch presenter.layout {
        case .image:
            var grid = GridView(pane: p, presenter: presenter, ui: ui, focused: focused)
            grid.paneIndex = index
            let used = grid.draw(into: &c, Rect(x: body.x, y: body.y, width: body.width, height: body.height - 1))
            c.put(grid.legend(), x: body.x, y: body.y + used, base.with(fg: t.color(.muted)), maxX: body.maxX, ellipsis: true)
        case .text:
            let table = WindowTable(pane: p, presenter: presenter, ui: ui)
            let lower: Int
            if let b = p.current.branch { lower = min(body.height / 2, 2 + max(b.trialCount, b.trials.count)) }
            else if table.hasContent { lower = min(body.height / 2, 2 + p.recent.count) }
            else { lower = 0 }
            var text = TextView(pane: p, presenter: presenter, ui: ui, focused: focused)
            text.paneIndex = index
            text.draw(into: &c, Rect(x: body.x, y: body.y, width: body.width, height: body.height - lower))
            if lower > 0 {
                let lr = Rect(x: body.x, y: body.maxY - lower + 1, width: body.width, height: lower - 1)
                let sep: Character = ui.ascii ? "-" : "┄"
                for x in body.x..<body.maxX { c[x, lr.y - 1] = Cell(sep, base.with(fg: t.color(.border))) }
                if let b = p.current.branch { BranchTree(branch: b, presenter: presenter, ui: ui).draw(into: &c, lr) }
                else { table.draw(into: &c, lr) }
            }
        }
    }
}
