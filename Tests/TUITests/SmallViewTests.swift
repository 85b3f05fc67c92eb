// Small view behaviours: fmt never traps, and the pass table follows the newest pass.
import Testing
import TokenloomDecoding
import TokenloomSession
@testable import TokenloomTUI

@Suite struct FormatTests {
    @Test func hugeNumbersPrintWithoutTrapping() {
        #expect(fmt(1e17) == "1.0e17")
        #expect(fmt(-2.5e300) == "-2.5e300")
        #expect(fmt(Double.greatestFiniteMagnitude).hasPrefix("1.8e308"))
        #expect(fmt(12.345) == "12.35" && fmt(nil) == "–" && fmt(.nan) == "–")
    }
}

/// The pass table follows the newest pass: its positions are on screen however far decoding went.
@Suite struct WindowTableFollowTests {
    @Test func theNewestPassIsAlwaysShown() {
        let steps: [[TraceEvent]] = [
            [.forward(start: 0, count: 3, ms: 1), .draft(position: 4, token: 1, q: 1), .draft(position: 5, token: 2, q: 1),
             .commit(start: 3, tokens: [1])],
            [.forward(start: 3, count: 3, ms: 1), .draft(position: 40, token: 3, q: 1), .draft(position: 41, token: 4, q: 1),
             .commit(start: 4, tokens: [1])],
        ]
        let s = replaySession([("SJD", [0, 1, 2], steps)], presenter: TestTextPresenter(), ticks: 2)
        var c = Canvas(width: 40, height: 4)
        WindowTable(pane: s.snapshot().panes[0], presenter: TestTextPresenter(), ui: UIState())
            .draw(into: &c, Rect(x: 0, y: 0, width: 40, height: 4))
        #expect(c.row(0).contains("@40") && c.row(0).contains("@41"), "\(c.row(0))")
    }
}

/// The `/` editor takes UIState.promptLimit characters and says so when it is full, instead of
/// dropping keys silently; `:` takes digits only and goes to that pass.
@Suite struct EditorLimitTests {
    @Test func aFullPromptSaysSo() {
        let s = replaySession([("AR", [0, 1, 2], ARSteps.steps)], presenter: TestTextPresenter(), ticks: 0)
        let app = App(session: s, ui: UIState()) { sc in s }
        _ = app.handle(.char("/"))
        for _ in 0..<UIState.promptLimit { _ = app.handle(.char("x")) }
        #expect(app.ui.promptDraft?.count == UIState.promptLimit && app.ui.message == nil)
        _ = app.handle(.char("y"))
        #expect(app.ui.promptDraft?.count == UIState.promptLimit)
        #expect(app.ui.message?.contains("at most \(UIState.promptLimit) characters") == true)
    }

    @Test func colonGoesToAPass() {
        let s = replaySession([("AR", [0, 1, 2], ARSteps.steps)], presenter: TestTextPresenter(), ticks: 0)
        let app = App(session: s, ui: UIState(), remake: nil)
        _ = app.handle(.char(":"))
        for ch in "2x" { _ = app.handle(.char(ch)) }
        #expect(app.ui.passDraft == "2")
        _ = app.handle(.enter)
        #expect(s.waitUntilIdle(timeout: 10))
        #expect(s.snapshot().tick == 2 && app.ui.passDraft == nil)
    }
}
