// GridView on a canvas: the glyphs and colours of a grid snapshot, per mode.
import Testing
import TokenloomDecoding
import TokenloomSession
@testable import TokenloomTUI

@Suite struct GridViewTests {
    // A 4x4 grid after a 2-token prompt: pass 1 commits 6 tokens (one of them resampled after a
    // rejection) and leaves 2 drafts; position 8 (grid cell 6) holds a draft.
    let presenter = TestImagePresenter(width: 4, height: 4, first: 2)
    var steps: [[TraceEvent]] {
        [[.forward(start: 0, count: 2, ms: 1),
          .entropy(position: 2, nats: 0.5), .commit(start: 2, tokens: [10]),
          .draft(position: 3, token: 11, q: 1), .draft(position: 4, token: 12, q: 1)],
         [.forward(start: 2, count: 8, ms: 1),
          .accept(position: 3, token: 11, p: 0.5, q: 1, u: 0.2), .entropy(position: 3, nats: 1.0),
          .accept(position: 4, token: 12, p: 0.6, q: 1, u: 0.3), .entropy(position: 4, nats: 2.0),
          .reject(position: 5, token: 40, p: 0.1, q: 1, u: 0.7), .resample(position: 5, token: 13),
          .entropy(position: 5, nats: 4.0),
          .commit(start: 3, tokens: [11, 12, 13]),
          .draft(position: 6, token: 14, q: 0.5), .entropy(position: 6, nats: 3.0),
          .draft(position: 7, token: 15, q: 0.5)]]
    }

    func render(_ mode: GridMode, mono: Bool = false) -> (Canvas, DecoderSnapshot) {
        let s = replaySession([("SJD", [0, 1], steps)], presenter: presenter, ticks: 2)
        let pane = s.snapshot().panes[0]
        var ui = UIState(theme: .dark, colorMode: mono ? .mono : .truecolor)
        ui.gridMode = mode
        var c = Canvas(width: 10, height: 4)
        // Half blocks fit the 4x4 grid in 4x2 cells; glyphs need 4x4.
        GridView(pane: pane, presenter: presenter, ui: ui, focused: false).draw(into: &c, Rect(x: 0, y: 0, width: 4, height: mono ? 4 : 2))
        return (c, pane)
    }

    func fg(_ c: Canvas, _ x: Int, _ y: Int) -> RGB? { if case .rgb(let v) = c[x, y].style.fg { return v }; return nil }
    func bg(_ c: Canvas, _ x: Int, _ y: Int) -> RGB? { if case .rgb(let v) = c[x, y].style.bg { return v }; return nil }

    @Test func colourModeDrawsTwoTokensPerCellWithHalfBlocks() {
        let (c, pane) = render(.colour)
        let t = Theme.dark
        #expect(pane.committed.map(\.token) == [10, 11, 12, 13])
        for y in 0..<2 { for x in 0..<4 { #expect(c[x, y].char == "▀") } }
        // Cell (0,0): top = grid (0,0) = token 10 committed in pass 1 (not this pass): solid.
        #expect(fg(c, 0, 0) == presenter.colour(of: 10))
        // Bottom = grid (0,1) = position 6: a draft (token 14), dimmed toward the background.
        #expect(bg(c, 0, 0) == mix(presenter.colour(of: 14)!, t[.background], 0.6))
        // Cell (1,0): top = position 3, accepted this pass: its own colour, marked (underlined), not recoloured.
        #expect(fg(c, 1, 0) == presenter.colour(of: 11))
        #expect(c[1, 0].style.attrs.contains(.underline) && !c[0, 0].style.attrs.contains(.underline))
        // Cell (3,0): top = position 5, resampled this pass: the resampled token's colour, marked.
        #expect(fg(c, 3, 0) == presenter.colour(of: 13))
        #expect(c[3, 0].style.attrs.contains(.underline))
        // Bottom of (2,0) = position 8: nothing yet.
        #expect(bg(c, 2, 0) == t[.emptyCell])
        // Row 1 (grid rows 2, 3) is empty.
        #expect(fg(c, 0, 1) == t[.emptyCell] && bg(c, 0, 1) == t[.emptyCell])
    }

    @Test func bigPanesZoomEachTokenToABlock() {
        let s = replaySession([("SJD", [0, 1], steps)], presenter: presenter, ticks: 2)
        var c = Canvas(width: 8, height: 4)
        GridView(pane: s.snapshot().panes[0], presenter: presenter, ui: UIState(theme: .dark, colorMode: .truecolor), focused: false)
            .draw(into: &c, Rect(x: 0, y: 0, width: 8, height: 4))
        // Zoom 2: token (0,0) = 10 fills cells x 0-1, both halves of row 0; row 1 shows grid row 1.
        for x in 0..<2 { #expect(fg(c, x, 0) == presenter.colour(of: 10) && bg(c, x, 0) == presenter.colour(of: 10)) }
        #expect(fg(c, 2, 0) == presenter.colour(of: 11) && c[2, 0].style.attrs.contains(.underline))
        #expect(fg(c, 0, 1) == mix(presenter.colour(of: 14)!, Theme.dark[.background], 0.6))
    }

    @Test func stateMapColoursByVerdict() {
        let (c, _) = render(.state)
        let t = Theme.dark
        #expect(fg(c, 0, 0) == t[.sampled])                          // token 10: sampled after prefill
        #expect(fg(c, 1, 0) == t[.accepted])                         // accepted this pass (underlined)
        #expect(fg(c, 3, 0) == t[.resampled])
        #expect(bg(c, 0, 0) == t[.draft])
    }

    @Test func heatmapScalesEntropyByTheLargestShown() {
        let (c, _) = render(.heatmap)
        let t = Theme.dark
        // Largest entropy on the grid is 4.0 nats (position 5).
        #expect(fg(c, 0, 0) == t.heat(0.5 / 4.0))
        #expect(fg(c, 3, 0) == t.heat(1.0))
        // Draft at position 6 with entropy 3.0: half-dimmed heat.
        #expect(bg(c, 0, 0) == mix(t.heat(3.0 / 4.0), t[.background], 0.5))
    }

    @Test func imageOnlyHidesDraftsAndHighlights() {
        let (c, _) = render(.imageOnly)
        #expect(fg(c, 1, 0) == presenter.colour(of: 11))
        #expect(bg(c, 0, 0) == Theme.dark[.emptyCell])
    }

    @Test func theFocusedGridShowsTheInspectorsCursorFromTheStart() {
        let s = replaySession([("SJD", [0, 1], steps)], presenter: presenter, ticks: 2)
        let pane = s.snapshot().panes[0]
        var c = Canvas(width: 4, height: 2)
        GridView(pane: pane, presenter: presenter, ui: UIState(theme: .dark, colorMode: .truecolor), focused: true)
            .draw(into: &c, Rect(x: 0, y: 0, width: 4, height: 2))
        // No cursor chosen yet: it sits on the newest committed token (position 5, cell (3,0) top), as the inspector's does.
        #expect(Inspector.defaultCursor(pane) == 5)
        #expect(fg(c, 3, 0) == Theme.dark[.cursor])
    }

    @Test func monoUsesOneGlyphPerTokenState() {
        let (c, _) = render(.colour, mono: true)
        // Without colour each token gets its own cell and its state's glyph: sampled █, accepted ▓,
        // resampled ▚, draft ▒, empty ·; this pass's commits are bold.
        #expect(c.row(0).prefix(4) == "█▓▓▚")
        #expect(c.row(1).prefix(4) == "▒▒··")
        #expect(c[1, 0].style.attrs.contains(.bold) && !c[0, 0].style.attrs.contains(.bold))
    }
}
