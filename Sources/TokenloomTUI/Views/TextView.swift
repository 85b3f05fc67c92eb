// TextView: a text decoder's committed text, each token coloured by entropy (or probability)
// with a cue that is not colour (underline = uncertain, bold = committed this pass), followed by
// the drafts still in the window, dimmed. Long texts scroll to keep the frontier in view.
import TokenloomSession

public struct TextView {
    public let pane: DecoderSnapshot
    public let presenter: TokenPresenter
    public let ui: UIState
    public let focused: Bool
    /// The pane's index, for click targets.
    public var paneIndex = 0
    /// Entropy (nats) that maps to the hot end of the scale, and above which a token is underlined.
    public static let entropyScale = 3.0
    public static let uncertainEntropy = 1.5
    public static let uncertainProbability = 0.3

    public init(pane: DecoderSnapshot, presenter: TokenPresenter, ui: UIState, focused: Bool) {
        self.pane = pane; self.presenter = presenter; self.ui = ui; self.focused = focused
    }

    /// The style of a committed token.
    public func style(of c: CommittedToken, thisPass: Bool) -> Style {
        let t = ui.theme
        var style = Style(fg: t.color(.foreground), bg: t.color(.background))
        var uncertain = false
        switch ui.textColouring {
        case .entropy:
            if let h = c.entropy { style.fg = .rgb(t.heat(h / TextView.entropyScale)); uncertain = h > TextView.uncertainEntropy }
        case .probability:
            if let p = c.p { style.fg = .rgb(t.heat(1 - p)); uncertain = p < TextView.uncertainProbability }
            else if let h = c.entropy { style.fg = .rgb(t.heat(h / TextView.entropyScale)); uncertain = h > TextView.uncertainEntropy }
        }
        if uncertain { style.attrs.insert(.underline) }
        if thisPass { style.attrs.insert(.bold) }
        return style
    }

    /// A laid-out character: where it goes and which position it belongs to.
    struct Glyph { var char: Character; var style: Style; var position: Int? }

    /// Lays the prompt, committed tokens and drafts into lines of `width`.
    func layout(width: Int) -> [[Glyph]] {
        let t = ui.theme
        var lines: [[Glyph]] = [[]]
        func emit(_ text: String, _ style: Style, _ pos: Int?) {
            for ch in text {
                if ch == "\n" || ch == "\r\n" {
                    lines[lines.count - 1].append(Glyph(char: ui.ascii ? "|" : "↵", style: style.with(fg: t.color(.muted)), position: pos))
                    lines.append([])
                    continue
                }
                if lines[lines.count - 1].count >= width { lines.append([]) }
                let shown: Character = ch == "\t" ? " " : Canvas.displayable(ch)
                lines[lines.count - 1].append(Glyph(char: shown, style: style, position: pos))
            }
        }
        let base = Style(fg: t.color(.muted), bg: t.color(.background))
        for (i, tok) in pane.prompt.enumerated() { emit(presenter.piece(tok), base, i) }
        let fresh = pane.committedThisTick
        for c in pane.committed {
            var s = style(of: c, thisPass: fresh.contains(c.position))
            if c.position == ui.cursor && focused { s.attrs.insert(.reverse) }
            emit(presenter.piece(c.token), s, c.position)
        }
        for d in pane.current.window {
            var s = Style(fg: t.color(.draft), bg: t.color(.background), attrs: [.dim])
            if d.position == ui.cursor && focused { s.attrs.insert(.reverse) }
            emit(d.token.map { presenter.piece($0) } ?? (ui.ascii ? "?" : "░"), s, d.position)
        }
        return lines
    }

    @discardableResult
    public func draw(into canvas: inout Canvas, _ r: Rect) -> Int {
        guard r.width > 0, r.height > 0 else { return 0 }
        let lines = layout(width: r.width)
        // Keep the cursor's line (else the last line) in view.
        var anchor = lines.count - 1
        if let cur = ui.cursor, focused, let i = lines.lastIndex(where: { $0.contains { $0.position == cur } }) { anchor = i }
        let start = max(0, min(lines.count - r.height, anchor - r.height + 1))
        for (row, line) in lines[start..<min(lines.count, start + r.height)].enumerated() {
            for (col, g) in line.enumerated() {
                canvas[r.x + col, r.y + row] = Cell(g.char, g.style)
                if let p = g.position { canvas.target(x: r.x + col, y: r.y + row, pane: paneIndex, position: p) }
            }
        }
        return min(r.height, lines.count - start)
    }
}
