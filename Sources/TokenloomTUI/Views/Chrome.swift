// Chrome: the title bar, timeline bar, status bar, fuser panel, help overlay and the
// too-small message.
import TokenloomSession

enum Chrome {
    static func titleBar(_ c: inout Canvas, _ s: Snapshot, _ ui: UIState, width: Int) {
        let t = ui.theme
        let style = Style(fg: t.color(.title), bg: t.color(.background), attrs: [.bold])
        c.fill(Rect(x: 0, y: 0, width: width, height: 1), style)
        var right = "pass \(s.tick)/\(s.head)"
        if s.playing { right += ui.ascii ? "  > playing" : "  ▶ playing" }
        if s.busy && !s.panes.isEmpty { right += "  computing…" }
        c.put("tokenloom · " + s.title, x: 1, y: 0, style, maxX: width - right.count - 2)
        c.put(right, x: width - right.count - 1, y: 0, style.with(fg: t.color(.accent)))
    }

    /// `pass 5 / 12  [■■■■■□□□]  250 ms/pass`: where the cursor is on the computed timeline.
    static func timelineBar(_ c: inout Canvas, _ s: Snapshot, _ ui: UIState, y: Int, width: Int) {
        let t = ui.theme
        let style = Style(fg: t.color(.statusForeground), bg: t.color(.statusBackground))
        c.fill(Rect(x: 0, y: y, width: width, height: 1), style)
        let label = " timeline  pass \(s.tick)"
        let speed = s.intervalMs == 0 ? "max speed" : "\(s.intervalMs) ms/pass"
        let right = "head \(s.head)  \(speed) "
        let x0 = c.put(label, x: 0, y: y, style) + 2
        let barW = width - x0 - right.count - 2
        if barW > 4 {
            let span = max(1, s.head)
            for i in 0..<barW {
                let at = Int((Double(i) + 0.5) / Double(barW) * Double(span))
                let done = at <= s.tick && s.head > 0
                let ch: Character = ui.ascii ? (done ? "=" : "-") : (done ? "━" : "─")
                c[x0 + i, y] = Cell(ch, style.with(fg: done ? t.color(.accent) : t.color(.muted)))
            }
            let cx = x0 + min(barW - 1, s.head == 0 ? 0 : Int(Double(s.tick) / Double(span) * Double(barW - 1)))
            c[cx, y] = Cell(ui.ascii ? "|" : "●", style.with(fg: t.color(.highlight), attrs: [.bold]))
        }
        c.put(right, x: width - right.count, y: y, style)
    }

    static func statusBar(_ c: inout Canvas, _ s: Snapshot, _ ui: UIState, y: Int, width: Int) {
        let t = ui.theme
        let style = Style(fg: t.color(.statusForeground), bg: t.color(.statusBackground))
        let key = style.with(fg: t.color(.accent), attrs: [.bold])
        c.fill(Rect(x: 0, y: y, width: width, height: 1), style)
        if let draft = ui.passDraft {
            var x = c.put(" go to pass: ", x: 0, y: y, key)
            x = c.put(draft, x: x, y: y, style, maxX: width - 1)
            c.put(ui.ascii ? "_" : "▏", x: x, y: y, key)
            return
        }
        if let draft = ui.promptDraft {
            var x = c.put(" prompt: ", x: 0, y: y, key)
            x = c.put(draft, x: x, y: y, style, maxX: width - 1)
            c.put(ui.ascii ? "_" : "▏", x: x, y: y, key)
            return
        }
        var x = 1
        for (k, what) in [("?", "help"), ("q", "quit"), ("n", "next"), ("p", "back"), ("Space", "play"), ("e", "explain"),
                          ("l", "legend"), ("c", "compare"), ("h", "heatmap")] {
            if x + k.count + what.count + 3 > width / 2 + 20 { break }
            x = c.put(k, x: x, y: y, key)
            x = c.put(" " + what + "  ", x: x, y: y, style)
        }
        let hint = width >= 100 ? "paused at pass 0 — press Space or n" : "Space plays, n steps"
        let msg = ui.message ?? s.error ?? s.note ?? (s.tick == 0 && !s.panes.isEmpty ? hint : "")
        if !msg.isEmpty {
            let room = max(0, width - x - 2)
            let m = msg.count <= room ? msg : String(msg.prefix(max(0, room - 1))) + "…"
            c.put(m, x: width - m.count - 1, y: y, style.with(fg: s.error != nil && ui.message == nil ? t.color(.rejected) : t.color(.statusForeground)))
        }
    }

    /// The fuser's gate per prompt token: how much of that token's conditioning comes from the LLM.
    static func fuserPanel(_ c: inout Canvas, _ gates: [FuserGate], _ ui: UIState, _ r: Rect) {
        let t = ui.theme
        let style = Style(fg: t.color(.foreground), bg: t.color(.background))
        c.put("fuser gates: LLM share per prompt token", x: r.x, y: r.y, style.with(fg: t.color(.muted)), maxX: r.maxX)
        let labelW = 12
        for (i, g) in gates.prefix(max(0, r.height - 1)).enumerated() {
            let y = r.y + 1 + i
            c.put(String(g.label.prefix(labelW - 1)), x: r.x, y: y, style, maxX: r.x + labelW)
            let barW = max(0, r.width - labelW - 6)
            c.bar(x: r.x + labelW, y: y, width: barW, fraction: g.value, style.with(fg: .rgb(t.heat(g.value))), ascii: ui.ascii)
            c.put(fmt(g.value), x: r.x + labelW + barW + 1, y: y, style, maxX: r.maxX)
        }
    }

    static func overlayFrame(_ c: inout Canvas, _ ui: UIState, title: String, lines: [(String, Style?)], width: Int, height: Int) {
        let t = ui.theme
        let bg = Style(fg: t.color(.overlayForeground), bg: t.color(.overlayBackground))
        let w = min(width - 4, max(40, (lines.map { $0.0.count }.max() ?? 0) + 4))
        let h = min(height - 2, lines.count + 2)
        let r = Rect(x: (width - w) / 2, y: max(1, (height - h) / 2), width: w, height: h)
        c.fill(r, bg)
        c.box(r, bg.with(fg: t.color(.borderFocus)), title: title, titleStyle: bg.with(fg: t.color(.title), attrs: [.bold]), ascii: ui.ascii)
        for (i, l) in lines.prefix(h - 2).enumerated() {
            c.put(l.0, x: r.x + 2, y: r.y + 1 + i, l.1 ?? bg, maxX: r.maxX - 1)
        }
    }

    static func help(_ c: inout Canvas, _ ui: UIState, width: Int, height: Int) {
        let t = ui.theme
        let bg = Style(fg: t.color(.overlayForeground), bg: t.color(.overlayBackground))
        var lines: [(String, Style?)] = []
        for b in KeyMap.bindings where !b.label.isEmpty {
            lines.append((b.label.padding(toLength: 10, withPad: " ", startingAt: 0) + b.help, bg))
        }
        lines.append(("click     inspect the token under the mouse", bg))
        lines.append(("", nil))
        lines.append(("Colour is never the only cue: in text, underline = uncertain and bold = this pass;", bg.with(fg: t.color(.muted))))
        lines.append(("on a grid, underline (bold without colour) = this pass, and each state has a glyph (l).", bg.with(fg: t.color(.muted))))
        overlayFrame(&c, ui, title: "keys  (Esc closes)", lines: lines, width: width, height: height)
    }

    static func explain(_ c: inout Canvas, _ pane: DecoderSnapshot, _ presenter: TokenPresenter, _ ui: UIState, width: Int, height: Int,
                        onePositionMs: Double? = nil) {
        let w = min(width - 8, 96)
        var lines: [(String, Style?)] = []
        for para in Explain.text(pane, presenter, onePositionMs: onePositionMs) {
            for l in wrap(para, width: w) { lines.append((l, nil)) }
        }
        overlayFrame(&c, ui, title: "explain: \(pane.name), pass \(pane.current.tick)  (Esc closes)", lines: lines, width: width, height: height)
    }

    static func tooSmall(_ c: inout Canvas, _ ui: UIState, width: Int, height: Int, need: (Int, Int)) {
        let t = ui.theme
        let style = Style(fg: t.color(.foreground), bg: t.color(.background))
        let msgs = ["tokenloom needs", "\(need.0)x\(need.1) or more", "(now \(width)x\(height))", "q quits"]
        for (i, m) in msgs.enumerated() where i < height {
            let y = max(0, (height - msgs.count) / 2) + i
            c.put(m, x: max(0, (width - m.count) / 2), y: y, style)
        }
    }
}
