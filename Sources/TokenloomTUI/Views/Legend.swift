// Legend (`l`): what every colour, glyph and word on the current view means, with the numbers its
// scales use. Swatches are drawn in the theme's own colours, and each is named in words beside a
// glyph, so the legend itself never depends on colour.
import TokenloomSession

enum Legend {
    /// One legend row: an optional swatch colour, a glyph, and its meaning.
    struct Row { var swatch: RGB?; var glyph: String; var text: String }

    /// The rows for `pane` under `ui` (image grid or text, and the grid's mode).
    static func rows(_ pane: DecoderSnapshot, _ presenter: TokenPresenter, _ ui: UIState) -> [Row] {
        let t = ui.theme
        var out: [Row] = []
        func g(_ s: SlotState) -> String { String(GridView.glyph(s, ascii: ui.ascii)) }
        if case .image = presenter.layout {
            switch ui.gridMode {
            case .colour, .imageOnly:
                out.append(Row(swatch: nil, glyph: "", text: ui.gridMode == .colour ? "image grid, colour: each token drawn in its palette colour" : "image only: committed tokens, nothing else"))
                out.append(Row(swatch: t[.emptyCell], glyph: g(.empty), text: "empty: not decoded yet"))
                if ui.gridMode == .colour {
                    out.append(Row(swatch: mix(t[.draft], t[.background], 0.6), glyph: g(.draft), text: "draft: a guess waiting for its test, its colour dimmed"))
                    out.append(Row(swatch: t[.noisy], glyph: g(.noisy(level: 1)), text: "noisy slot (SJD2): purple, brighter = noisier"))
                    out.append(Row(swatch: t[.rejected], glyph: g(.rejected), text: "rejected this pass"))
                }
            case .state:
                out.append(Row(swatch: nil, glyph: "", text: "image grid, state map: how each token was decided"))
                out.append(Row(swatch: t[.sampled], glyph: g(.committed(.sampled, thisPass: false)), text: "sampled directly (AR, the token after a verified run)"))
                out.append(Row(swatch: t[.accepted], glyph: g(.committed(.accepted, thisPass: false)), text: "accepted draft (SJD: u < min(1, p/q); Jacobi: equal to the prediction)"))
                out.append(Row(swatch: t[.resampled], glyph: g(.committed(.resampled, thisPass: false)), text: "resampled after a rejection, from norm(max(0, p - q))"))
                out.append(Row(swatch: t[.draft], glyph: g(.draft), text: "draft waiting for its test"))
                out.append(Row(swatch: t[.rejected], glyph: g(.rejected), text: "rejected this pass"))
                out.append(Row(swatch: t[.noisy], glyph: g(.noisy(level: 1)), text: "noisy slot (SJD2), brighter = noisier"))
                out.append(Row(swatch: t[.emptyCell], glyph: g(.empty), text: "empty"))
            case .heatmap:
                var maxH = 0.0
                for c in pane.committed { if let e = c.entropy { maxH = max(maxH, e) } }
                for d in pane.current.window { if let e = d.entropy { maxH = max(maxH, e) } }
                out.append(Row(swatch: nil, glyph: "", text: "image grid, heatmap: entropy of each position's distribution, in nats"))
                out.append(Row(swatch: t.heat(0), glyph: "", text: "0 nats (certain)"))
                out.append(Row(swatch: t.heat(0.5), glyph: "", text: "\(fmt(maxH / 2)) nats"))
                out.append(Row(swatch: t.heat(1), glyph: "", text: "\(fmt(maxH)) nats, the largest on this grid now"))
                out.append(Row(swatch: t[.emptyCell], glyph: "", text: "no entropy recorded there (not decoded, or a replay without it)"))
            }
            out.append(Row(swatch: nil, glyph: "▀", text: ui.glyphGrid ? "one token per cell; bold = committed this pass"
                                                                     : "two grid rows per cell (top, bottom); underline = committed this pass"))
        } else {
            switch ui.textColouring {
            case .entropy:
                out.append(Row(swatch: nil, glyph: "", text: "text coloured by the entropy of each token's distribution (v: by probability)"))
                out.append(Row(swatch: t.heat(0), glyph: "", text: "0 nats"))
                out.append(Row(swatch: t.heat(0.5), glyph: "", text: "\(fmt(TextView.entropyScale / 2)) nats"))
                out.append(Row(swatch: t.heat(1), glyph: "", text: "\(fmt(TextView.entropyScale)) nats or more"))
                out.append(Row(swatch: nil, glyph: "_", text: "underline: uncertain, entropy above \(fmt(TextView.uncertainEntropy)) nats"))
            case .probability:
                out.append(Row(swatch: nil, glyph: "", text: "text coloured by p, the probability SJD's test gave the token (else by entropy)"))
                out.append(Row(swatch: t.heat(0), glyph: "", text: "p = 1"))
                out.append(Row(swatch: t.heat(1), glyph: "", text: "p = 0"))
                out.append(Row(swatch: nil, glyph: "_", text: "underline: uncertain, p below \(fmt(TextView.uncertainProbability))"))
            }
            out.append(Row(swatch: nil, glyph: "B", text: "bold: committed this pass"))
            out.append(Row(swatch: nil, glyph: ui.ascii ? "|" : "↵", text: "a newline in the text"))
        }
        let m = WindowTable.Mark.self
        out.append(Row(swatch: nil, glyph: ui.ascii ? "+ x ~ ." : "\(m.accepted.rawValue) \(m.rejected.rawValue) \(m.resampled.rawValue) \(m.draft.rawValue)",
                       text: "pass table: accepted, rejected, resampled, draft"))
        out.append(Row(swatch: nil, glyph: "NFE", text: "forward passes so far (network function evaluations)"))
        out.append(Row(swatch: nil, glyph: "@N", text: "sequence position N, prompt included"))
        out.append(Row(swatch: nil, glyph: "#id", text: "a token id (on images: the palette colour's index)"))
        out.append(Row(swatch: nil, glyph: "acc", text: "drafts accepted of those tested"))
        out.append(Row(swatch: nil, glyph: "T W K N", text: "in titles: temperature, window, SJD2 denoising steps, CNTP's most trials"))
        return out
    }

    static func draw(_ c: inout Canvas, _ pane: DecoderSnapshot, _ presenter: TokenPresenter, _ ui: UIState, width: Int, height: Int) {
        let t = ui.theme
        let bg = Style(fg: t.color(.overlayForeground), bg: t.color(.overlayBackground))
        let rows = rows(pane, presenter, ui)
        // Two columns of swatch, one of glyph (padded), then the words.
        let lines: [(String, Style?)] = rows.map { r in
            ("   " + r.glyph.padding(toLength: 8, withPad: " ", startingAt: 0) + r.text, bg)
        }
        Chrome.overlayFrame(&c, ui, title: "legend: \(pane.name)  (Esc closes)", lines: lines, width: width, height: height)
        // Paint the swatches into the frame's first two columns of text.
        let w = min(width - 4, max(40, (lines.map { $0.0.count }.max() ?? 0) + 4))
        let h = min(height - 2, lines.count + 2)
        let x = (width - w) / 2 + 2, y0 = max(1, (height - h) / 2) + 1
        for (i, r) in rows.prefix(h - 2).enumerated() {
            guard let s = r.swatch else { continue }
            for dx in 0..<2 { c[x + dx, y0 + i] = Cell(" ", Style(fg: .rgb(s), bg: .rgb(s))) }
        }
    }
}
