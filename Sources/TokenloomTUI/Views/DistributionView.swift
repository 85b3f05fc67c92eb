// DistributionView (`d`): is each decoder lossless here? Over N seeds (a background job), the
// tokens each decoder put at the cursor's position, as bars side by side with the model's exact
// distribution where it is known (the first generated position), the chi-square test of each
// against AR at this position and over all positions (Holm), and on an image grid each decoder's
// agreement with AR's most common token per cell and its mean image.
import Foundation
import TokenloomSession

enum DistributionView {
    /// Tokens listed at the position (the rest pooled as "other").
    static let shownTokens = 6

    static func draw(_ c: inout Canvas, _ s: Snapshot, _ ui: UIState, width: Int, height: Int) {
        let t = ui.theme
        let bg = Style(fg: t.color(.overlayForeground), bg: t.color(.overlayBackground))
        let muted = bg.with(fg: t.color(.muted))
        let r = Rect(x: 2, y: 1, width: width - 4, height: height - 3)
        c.fill(r, bg)
        c.box(r, bg.with(fg: t.color(.borderFocus)), title: "distribution over seeds  (d or Esc closes)",
              titleStyle: bg.with(fg: t.color(.title), attrs: [.bold]), ascii: ui.ascii)
        let inner = r.inset(1)
        var y = inner.y
        let x = inner.x + 1, maxX = inner.maxX - 1
        func line(_ text: String, _ style: Style? = nil) {
            guard y < inner.maxY else { return }
            _ = c.put(text, x: x, y: y, style ?? bg, maxX: maxX, ellipsis: true)
            y += 1
        }
        guard let st = ui.distribution else { line("starting…"); return }
        let runs = st.sample?.runs ?? 0
        // Progress.
        var head = "N = \(runs) runs per decoder"
        if st.running {
            let frac = st.total > 0 ? Double(st.done) / Double(st.total) : 0
            let bw = 20, full = Int((frac * Double(bw)).rounded(.down))
            let bar = String(repeating: ui.ascii ? "#" : "█", count: full) + String(repeating: ui.ascii ? "." : "░", count: bw - full)
            head += " · running to \(st.target): \(bar) \(Int(frac * 100))%"
            if let left = st.secondsLeft { head += " · about \(Int(left.rounded())) s left" }
        } else if runs < st.target, st.error == nil {
            head += " · stopped (target \(st.target))"
        }
        line(head)
        line("+ / - double / halve N · x stops · each decoder runs with its own seeds, AR is the reference", muted)
        if let e = st.error { line("error: \(e)", bg.with(fg: t.color(.rejected))); return }
        guard let sample = st.sample, runs > 0 else { line("loading the model and running the first seeds…", muted); return }
        y += 1

        let focus = min(ui.focus, max(0, s.panes.count - 1))
        guard !s.panes.isEmpty else { return }
        let pane = s.panes[focus]
        let first: Int
        if case .image(_, _, let f) = s.presenter.layout { first = f } else { first = pane.promptCount }
        let cursor = ui.cursor ?? Inspector.defaultCursor(pane) ?? first
        let i = cursor - first
        let names = sample.names
        let ref = sample.reference
        if i < 0 || i >= sample.positions {
            line("the cursor (@\(cursor)) is not a generated position: move it with j / k", muted)
        } else {
            positionTable(&c, sample, i, cursor: cursor, s.presenter, ui, bg: bg, x: x, y: &y, maxX: maxX, maxY: inner.maxY)
            let at = st.verdicts.indices.filter { $0 != ref }.compactMap { k -> String? in
                guard let test = st.verdicts[k].tests.first(where: { $0.position == i }) else { return "\(names[k]) too few runs" }
                return "\(names[k]) p = \(LosslessVerdict.pText(test.p))"
            }
            line("here vs \(names[ref]), chi-square: " + at.joined(separator: " · "))
        }
        y += 1
        line("over every position (Holm-corrected, differs when p < 0.001):", muted)
        for (k, v) in st.verdicts.enumerated() where k != ref {
            let s = v.sentence(reference: names[ref])
            line("  \(v.name): \(s)", v.holmP < 0.001 ? bg.with(fg: t.color(.rejected), attrs: [.bold]) : bg)
        }
        if case .image(let w, let h, _) = s.presenter.layout {
            y += 1
            let agree = sample.outputs.indices.map { k in agreement(sample, k, cells: w * h) }
            line("agreement with \(names[ref])'s most common token, mean over cells: "
                 + names.indices.map { "\(names[$0]) \(Int((agree[$0] * 100).rounded()))%" }.joined(separator: " · "))
            meanImages(&c, sample, s.presenter, w: w, h: h, ui, bg: bg, x: x, y: &y, maxX: maxX, maxY: inner.maxY)
        }
    }

    /// Bars: one row per token (the most frequent under AR first), one column per decoder, and the
    /// exact probability at the first position.
    static func positionTable(_ c: inout Canvas, _ sample: DistributionSample, _ i: Int, cursor: Int, _ presenter: TokenPresenter,
                              _ ui: UIState, bg: Style, x: Int, y: inout Int, maxX: Int, maxY: Int) {
        let t = ui.theme
        let counts = sample.outputs.indices.map { sample.counts($0, at: i) }
        let totals = counts.map { max(1, $0.values.reduce(0, +)) }
        var order = counts[sample.reference].sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map(\.key)
        for (k, cnt) in counts.enumerated() where k != sample.reference {
            for tok in cnt.sorted(by: { $0.value > $1.value }).map(\.key) where !order.contains(tok) { order.append(tok) }
        }
        let shown = Array(order.prefix(shownTokens))
        let exact = i == 0 ? sample.exactFirst : [:]
        let label = 14, colW = max(12, min(22, (maxX - x - label - (exact.isEmpty ? 0 : 10)) / max(1, counts.count)))
        let barW = colW - 7
        var at = "@\(cursor)"
        if case .image(let w, _, _) = presenter.layout { at += " (\(i % w),\(i / w))" }
        _ = c.put(at, x: x, y: y, bg.with(fg: t.color(.muted)), maxX: x + label)
        for (k, name) in sample.names.enumerated() {
            _ = c.put(name, x: x + label + k * colW, y: y, bg.with(attrs: [.bold]), maxX: x + label + (k + 1) * colW - 1, ellipsis: true)
        }
        if !exact.isEmpty { _ = c.put("exact", x: x + label + counts.count * colW, y: y, bg.with(attrs: [.bold]), maxX: maxX) }
        y += 1
        var rows: [(String, RGB?, [Double], Double?)] = shown.map { tok in
            (presenter.colour(of: tok) != nil ? "#\(tok)" : "\"" + presenter.piece(tok).escapingControlCharacters + "\"",
             presenter.colour(of: tok), counts.indices.map { Double(counts[$0][tok] ?? 0) / Double(totals[$0]) }, exact[tok])
        }
        let otherShares = counts.indices.map { k in Double(counts[k].filter { !shown.contains($0.key) }.values.reduce(0, +)) / Double(totals[k]) }
        if otherShares.contains(where: { $0 > 0 }) || !exact.isEmpty {
            let ex = exact.isEmpty ? nil : max(0, 1 - shown.reduce(0) { $0 + (exact[$1] ?? 0) })
            rows.append(("other", nil, otherShares, ex))
        }
        for (name, colour, shares, ex) in rows where y < maxY {
            var lx = x
            if let colour, !ui.glyphGrid {
                for d in 0..<2 { c[lx + d, y] = Cell(" ", Style(fg: .rgb(colour), bg: .rgb(colour))) }
                lx += 3
            }
            _ = c.put(name, x: lx, y: y, bg, maxX: x + label - 1, ellipsis: true)
            for (k, share) in shares.enumerated() {
                let bx = x + label + k * colW
                let n = Int((share * Double(barW)).rounded())
                _ = c.put(String(repeating: ui.ascii ? "#" : "█", count: n), x: bx, y: y, bg.with(fg: t.color(k == sample.reference ? .sampled : .accent)))
                _ = c.put(fmt(share, 2), x: bx + barW + 1, y: y, bg, maxX: bx + colW - 1)
            }
            if let ex { _ = c.put(fmt(ex, 2), x: x + label + counts.count * colW, y: y, bg, maxX: maxX) }
            y += 1
        }
    }

    /// The share of pane `k`'s runs whose token equals the reference's most common token, averaged
    /// over the grid's cells.
    static func agreement(_ sample: DistributionSample, _ k: Int, cells: Int) -> Double {
        var sum = 0.0, n = 0
        for cell in 0..<cells {
            let refCounts = sample.counts(sample.reference, at: cell)
            guard let mode = refCounts.max(by: { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key })?.key else { continue }
            let mine = sample.counts(k, at: cell)
            let total = mine.values.reduce(0, +)
            guard total > 0 else { continue }
            sum += Double(mine[mode] ?? 0) / Double(total); n += 1
        }
        return n > 0 ? sum / Double(n) : 0
    }

    /// Each decoder's mean image (the average colour of every cell over its runs), side by side,
    /// two grid rows per character cell.
    static func meanImages(_ c: inout Canvas, _ sample: DistributionSample, _ presenter: TokenPresenter, w: Int, h: Int, _ ui: UIState,
                           bg: Style, x: Int, y: inout Int, maxX: Int, maxY: Int) {
        let rowsNeeded = (h + 1) / 2 + 1
        guard y + rowsNeeded <= maxY, !ui.glyphGrid else {
            if ui.glyphGrid, y < maxY { _ = c.put("mean images: not drawn without colour", x: x, y: y, bg.with(fg: ui.theme.color(.muted))); y += 1 }
            return
        }
        for (k, name) in sample.names.enumerated() {
            let ox = x + k * (w + 4)
            guard ox + w <= maxX else { break }
            _ = c.put("mean " + name, x: ox, y: y, bg.with(fg: ui.theme.color(.muted)), maxX: ox + w + 3, ellipsis: true)
            let mean = meanColours(sample, k, presenter, cells: w * h)
            for row in stride(from: 0, to: h, by: 2) {
                for col in 0..<w {
                    let top = mean[row * w + col] ?? ui.theme[.emptyCell]
                    let bottom = row + 1 < h ? (mean[(row + 1) * w + col] ?? ui.theme[.emptyCell]) : ui.theme[.overlayBackground]
                    c[ox + col, y + 1 + row / 2] = Cell("▀", Style(fg: .rgb(top), bg: .rgb(bottom)))
                }
            }
        }
        y += rowsNeeded
    }

    static func meanColours(_ sample: DistributionSample, _ k: Int, _ presenter: TokenPresenter, cells: Int) -> [RGB?] {
        var sum = [(Double, Double, Double, Int)](repeating: (0, 0, 0, 0), count: cells)
        for out in sample.outputs[k] {
            for (cell, tok) in out.prefix(cells).enumerated() {
                guard let rgb = presenter.colour(of: tok) else { continue }
                sum[cell].0 += Double(rgb.r); sum[cell].1 += Double(rgb.g); sum[cell].2 += Double(rgb.b); sum[cell].3 += 1
            }
        }
        return sum.map { s in
            s.3 == 0 ? nil : RGB(UInt8((s.0 / Double(s.3)).rounded()), UInt8((s.1 / Double(s.3)).rounded()), UInt8((s.2 / Double(s.3)).rounded()))
        }
    }
}
