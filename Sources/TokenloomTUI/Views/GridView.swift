// GridView: an image decoder's token grid, two image rows per terminal row (`▀`: foreground =
// top token, background = bottom token). Modes: colour, entropy heatmap, state map, image alone.
// In mono or ASCII mode each token gets its own cell and a glyph for its state instead.
import TokenloomSession

/// What one grid slot holds at this tick.
public enum SlotState: Equatable, Sendable {
    case empty
    case committed(Verdict, thisPass: Bool)
    case draft
    case rejected
    case noisy(level: Int)
}

public struct GridView {
    public let pane: DecoderSnapshot
    public let presenter: TokenPresenter
    public let ui: UIState
    public let focused: Bool
    /// The pane's index, for click targets.
    public var paneIndex = 0

    // Looked up once per frame, not once per cell.
    private let fresh: Set<Int>
    private let rejected: Set<Int>
    private let drafts: [Int: DraftSlot]

    public init(pane: DecoderSnapshot, presenter: TokenPresenter, ui: UIState, focused: Bool) {
        self.pane = pane; self.presenter = presenter; self.ui = ui; self.focused = focused
        fresh = pane.committedThisTick
        rejected = pane.rejectedThisTick
        drafts = Dictionary(pane.current.window.map { ($0.position, $0) }, uniquingKeysWith: { _, b in b })
    }

    public func state(at position: Int) -> SlotState {
        if let c = pane.committed(at: position) { return .committed(c.verdict, thisPass: fresh.contains(position)) }
        if rejected.contains(position) { return .rejected }
        if let d = drafts[position] { return d.level > 0 ? .noisy(level: d.level) : .draft }
        return .empty
    }

    /// The colour the slot at `position` gets in the current mode.
    public func colour(at position: Int, maxLevel: Int, maxEntropy: Double) -> RGB {
        let t = ui.theme
        let s = state(at: position)
        switch ui.gridMode {
        case .imageOnly:
            if case .committed = s, let c = pane.committed(at: position) { return presenter.colour(of: c.token) ?? t[.foreground] }
            return t[.emptyCell]
        case .colour:
            switch s {
            case .empty: return t[.emptyCell]
            case .committed:
                return presenter.colour(of: pane.committed(at: position)!.token) ?? t[.foreground]
            case .draft:
                let c = drafts[position]?.token.flatMap { presenter.colour(of: $0) } ?? t[.draft]
                return mix(c, t[.background], 0.6)
            case .rejected: return t[.rejected]
            case .noisy(let level): return mix(t[.emptyCell], t[.noisy], Double(level) / Double(max(1, maxLevel)))
            }
        case .heatmap:
            let h = pane.committed(at: position)?.entropy ?? drafts[position]?.entropy
            guard let h else { return t[.emptyCell] }
            let c = t.heat(h / max(maxEntropy, 1e-9))
            if case .committed = s { return c }
            return mix(c, t[.background], 0.5)
        case .state:
            switch s {
            case .empty: return t[.emptyCell]
            case .committed(let v, _):
                return t[v == .accepted ? .accepted : v == .resampled ? .resampled : .sampled]
            case .draft: return t[.draft]
            case .rejected: return t[.rejected]
            case .noisy(let level): return mix(t[.emptyCell], t[.noisy], Double(level) / Double(max(1, maxLevel)))
            }
        }
    }

    /// The glyph for a slot where colour cannot be used: one per state, so no state depends on
    /// colour (this pass's commits are bold instead, see `draw`).
    public func glyph(at position: Int) -> Character {
        GridView.glyph(state(at: position), ascii: ui.ascii)
    }

    public static func glyph(_ s: SlotState, ascii a: Bool) -> Character {
        switch s {
        case .empty: return a ? "." : "·"
        case .committed(let v, _):
            switch v {
            case .sampled: return a ? "#" : "█"
            case .accepted: return a ? "=" : "▓"
            case .resampled: return a ? "%" : "▚"
            }
        case .draft: return a ? "+" : "▒"
        case .rejected: return "x"
        case .noisy: return a ? ":" : "░"
        }
    }

    /// Draws into `r`; returns the rows used.
    @discardableResult
    public func draw(into canvas: inout Canvas, _ r: Rect) -> Int {
        guard case .image(let w, let h, let first) = presenter.layout, w > 0, h > 0, r.width > 0, r.height > 0 else { return 0 }
        let t = ui.theme
        let rowsPerCell = ui.glyphGrid ? 1 : 2
        // Shrink (one token per `scale` each way) when the pane is smaller than the grid; grow
        // (each token `zoom` cells wide and `zoom` half-rows tall) when it is at least twice as big.
        let scale = max(1, max((w + r.width - 1) / r.width, (h + rowsPerCell * r.height - 1) / (rowsPerCell * r.height)))
        let zoom = scale > 1 ? 1 : max(1, min(r.width / w, rowsPerCell * r.height / h))
        func token(_ i: Int) -> Int { zoom > 1 ? i / zoom : i * scale }
        let cols = zoom > 1 ? w * zoom : (w + scale - 1) / scale
        let halfRows = zoom > 1 ? h * zoom : (h + scale - 1) / scale
        let rows = (halfRows + rowsPerCell - 1) / rowsPerCell
        let maxLevel = pane.current.window.map(\.level).max() ?? 0
        var maxEntropy = 0.0
        if ui.gridMode == .heatmap {
            for c in pane.committed { if let e = c.entropy { maxEntropy = max(maxEntropy, e) } }
            for d in pane.current.window { if let e = d.entropy { maxEntropy = max(maxEntropy, e) } }
        }
        let x0 = r.x + max(0, (r.width - cols) / 2)
        // The inspector's cursor, where it is shown: the chosen position, else the newest token.
        let cursor = focused && ui.gridMode != .imageOnly ? (ui.cursor ?? Inspector.defaultCursor(pane)) : nil
        for cy in 0..<min(rows, r.height) {
            for cx in 0..<cols {
                let gx = token(cx)
                let topY = token(cy * rowsPerCell)
                guard topY < h, gx < w else { continue }
                let top = first + topY * w + gx
                canvas.target(x: x0 + cx, y: r.y + cy, pane: paneIndex, position: top)
                if ui.glyphGrid {
                    var style = Style(fg: t.color(.foreground), bg: t.color(.background))
                    if case .committed(_, true) = state(at: top) { style.attrs.insert(.bold) }
                    if top == cursor { style.attrs.insert(.reverse) }
                    canvas[x0 + cx, r.y + cy] = Cell(glyph(at: top), style)
                    continue
                }
                let botHalf = cy * 2 + 1
                let botY = botHalf < halfRows ? token(botHalf) : h
                var topC = colour(at: top, maxLevel: maxLevel, maxEntropy: maxEntropy)
                var botC = botY < h ? colour(at: first + botY * w + gx, maxLevel: maxLevel, maxEntropy: maxEntropy) : t[.background]
                if let cur = cursor {
                    if cur == top { topC = t[.cursor] }
                    if botY < h, cur == first + botY * w + gx { botC = t[.cursor] }
                }
                // This pass's commits keep their own colour and get a mark: the cell is underlined.
                var attrs: Attrs = []
                if fresh.contains(top) || (botY < h && fresh.contains(first + botY * w + gx)) { attrs.insert(.underline) }
                canvas[x0 + cx, r.y + cy] = Cell("▀", Style(fg: .rgb(topC), bg: .rgb(botC), attrs: attrs))
            }
        }
        return min(rows, r.height)
    }

    /// One line under the grid: progress and what the mode shows.
    public func legend() -> String {
        guard case .image(let w, let h, _) = presenter.layout else { return "" }
        let drafts = pane.current.window.filter { $0.level == 0 }.count
        let noisy = pane.current.window.filter { $0.level > 0 }.count
        var s = "\(pane.committed.count)/\(w * h) tokens"
        if drafts > 0 { s += " · \(drafts) drafts" }
        if noisy > 0 { s += " · \(noisy) noisy" }
        switch ui.gridMode {
        case .colour: break
        case .heatmap: s += " · heatmap: entropy"
        case .state: s += " · state map"
        case .imageOnly: s += " · image only"
        }
        return s
    }
}
