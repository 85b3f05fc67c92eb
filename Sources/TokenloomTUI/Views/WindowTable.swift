// WindowTable: the Jacobi / SJD window as an iteration-by-position table. Each row is one
// forward pass; each column one sequence position; a cell shows the token that pass verified
// there (✓ accepted, ✗ rejected, ↻ resampled) or placed there as a fresh draft (·).
import TokenloomDecoding
import TokenloomSession

public struct WindowTable {
    public let pane: DecoderSnapshot
    public let presenter: TokenPresenter
    public let ui: UIState
    public static let cellWidth = 7

    public init(pane: DecoderSnapshot, presenter: TokenPresenter, ui: UIState) {
        self.pane = pane; self.presenter = presenter; self.ui = ui
    }

    public enum Mark: Character { case accepted = "✓", rejected = "✗", resampled = "↻", draft = "·" }

    /// One pass's cells by position.
    public static func cells(of events: [TraceEvent]) -> [Int: (token: Int, mark: Mark)] {
        var cells: [Int: (token: Int, mark: Mark)] = [:]
        for e in events {
            switch e {
            case .draft(let pos, let tok, _): if cells[pos] == nil { cells[pos] = (tok, .draft) }
            case .accept(let pos, let tok, _, _, _): cells[pos] = (tok, .accepted)
            case .reject(let pos, let tok, _, _, _): cells[pos] = (tok, .rejected)
            case .resample(let pos, let tok): cells[pos] = (tok, .resampled)
            case .match(let pos, let guess, let target): cells[pos] = guess == target ? (guess, .accepted) : (guess, .rejected)
            default: break
            }
        }
        return cells
    }

    /// True when the pane's recent passes drafted anything (AR and CNTP never do).
    public var hasContent: Bool { pane.recent.contains { !WindowTable.cells(of: $0.events).isEmpty } }

    @discardableResult
    public func draw(into canvas: inout Canvas, _ r: Rect) -> Int {
        let t = ui.theme
        guard r.height >= 3, r.width >= 12 else { return 0 }
        let rows = pane.recent.suffix(r.height - 1).filter { $0.tick > 0 }
        let all = rows.map { WindowTable.cells(of: $0.events) }
        guard let oldest = all.flatMap({ $0.keys }).min() else { return 0 }
        let labelW = 6
        let nCols = max(1, (r.width - labelW) / WindowTable.cellWidth)
        // Columns follow the newest pass: its window is shown whole when it fits, and spare columns
        // go to the older positions on its left, so the newest passes never fall off the right edge.
        var lo = oldest
        if let newest = all.last(where: { !$0.isEmpty }), let a = newest.keys.min(), let b = newest.keys.max() {
            lo = a - max(0, min(a - oldest, nCols - (b - a + 1)))
        }
        let muted = Style(fg: t.color(.muted), bg: t.color(.background))
        canvas.put("pass", x: r.x, y: r.y, muted)
        for c in 0..<nCols { canvas.put("@\(lo + c)", x: r.x + labelW + c * WindowTable.cellWidth, y: r.y, muted) }
        for (i, (rec, cells)) in zip(rows, all).enumerated() {
            let y = r.y + 1 + i
            canvas.put("#\(rec.tick)", x: r.x, y: y, muted)
            for c in 0..<nCols {
                guard let cell = cells[lo + c] else { continue }
                let key: ThemeKey = cell.mark == .accepted ? .accepted : cell.mark == .rejected ? .rejected
                    : cell.mark == .resampled ? .resampled : .draft
                let style = Style(fg: t.color(key), bg: t.color(.background), attrs: cell.mark == .rejected ? [.underline] : [])
                let mark: String = ui.ascii ? (cell.mark == .accepted ? "+" : cell.mark == .rejected ? "x" : cell.mark == .resampled ? "~" : ".")
                    : String(cell.mark.rawValue)
                let piece = presenter.piece(cell.token).replacingOccurrences(of: "\n", with: "↵")
                canvas.put(mark + piece, x: r.x + labelW + c * WindowTable.cellWidth, y: y, style,
                           maxX: r.x + labelW + (c + 1) * WindowTable.cellWidth - 1)
            }
        }
        return 1 + rows.count
    }
}
