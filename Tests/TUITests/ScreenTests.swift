// The whole frame: pane titles, status bar, help overlay, compare, the too-small message, and the
// key handling of the app (without a terminal).
import Testing
import TokenloomDecoding
import TokenloomSession
@testable import TokenloomTUI

@Suite struct ScreenTests {
    /// `n` passes of a one-token-per-pass decoder over the test words.
    static func arSteps(_ n: Int) -> [[TraceEvent]] {
        (0..<n).map { i in
            [.forward(start: i == 0 ? 0 : 2 + i, count: i == 0 ? 3 : 1, ms: 1),
             .entropy(position: 3 + i, nats: Double(i) * 0.4), .commit(start: 3 + i, tokens: [1 + i % 12])]
        }
    }

    func session(panes: Int, ticks: Int) -> Session {
        let names = ["AR", "SJD", "SJD2", "CNTP"]
        return replaySession((0..<panes).map { (names[$0], [0, 1, 2], ARSteps.steps) }, presenter: TestTextPresenter(), ticks: ticks)
    }

    @Test func everyPaneTitleShowsItsNameAndNFE() {
        let c = Screen.render(session(panes: 3, ticks: 5).snapshot(), UIState(), width: 120, height: 40)
        for name in ["AR", "SJD", "SJD2"] { #expect(c.find("\(name) · NFE 5") != nil) }
        #expect(line(c, containing: "? help") != nil)
        #expect(line(c, containing: "q quit") != nil)
        #expect(line(c, containing: "pass 5/5") != nil)
    }

    @Test func compareSummarisesTokensOnTheSameBudget() {
        let s = session(panes: 2, ticks: 4).snapshot()
        #expect(Screen.compareSummary(s) == "compare · pass 4: AR 4 tok, 1.00/pass · SJD 4 tok, 1.00/pass, wall 1.00× AR")
        #expect(line(Screen.render(s, UIState(), width: 120, height: 40), containing: "compare · pass 4: AR 4 tok") != nil)
    }

    @Test func compareSummaryNamesADecoderThatFinishedSooner() {
        let s = replaySession([("AR", [0, 1, 2], ScreenTests.arSteps(3)), ("SJD", [0, 1, 2], ScreenTests.arSteps(8))],
                              presenter: TestTextPresenter(), ticks: 6).snapshot()
        // AR finished at pass 3: its figures are over the 3 passes it ran, not over the 6 shown.
        #expect(Screen.compareSummary(s) == "compare · pass 6: AR 3 tok, 1.00/pass, done in 3 passes · SJD 6 tok, 1.00/pass, wall 1.00× AR")
    }

    @Test func compareOffShowsOnlyTheFocusedPane() {
        var ui = UIState()
        ui.compare = false
        ui.focus = 1
        let c = Screen.render(session(panes: 3, ticks: 2).snapshot(), ui, width: 120, height: 40)
        #expect(c.find("SJD · NFE 2") != nil)
        #expect(c.find("AR · NFE 2") == nil)
        #expect(c.find("SJD2 · NFE 2") == nil)
    }

    @Test func helpOverlayListsTheLiveBindings() {
        var ui = UIState()
        ui.overlay = .help
        let c = Screen.render(session(panes: 1, ticks: 1).snapshot(), ui, width: 120, height: 40)
        for b in KeyMap.bindings where !b.label.isEmpty {
            #expect(line(c, containing: b.help) != nil, "help is missing '\(b.help)'")
        }
    }

    @Test func tooSmallShowsAMessage() {
        let c = Screen.render(session(panes: 1, ticks: 1).snapshot(), UIState(), width: 20, height: 6)
        #expect(c.text.contains("tokenloom needs"))
        #expect(c.text.contains("(now 20x6)"))
    }

    @Test func pausedAtPassZeroSaysHowToStart() {
        let c = Screen.render(session(panes: 2, ticks: 0).snapshot(), UIState(), width: 120, height: 40)
        #expect(line(c, containing: "press Space or n") != nil)
        #expect(c.find("AR · NFE 0") != nil)
    }

    @Test func textIsColouredByEntropyWithAnUnderlineCueForUncertainTokens() {
        let s = session(panes: 1, ticks: 6)
        let pane = s.snapshot().panes[0]
        let view = TextView(pane: pane, presenter: TestTextPresenter(), ui: UIState(), focused: false)
        let t = Theme.dark
        for c in pane.committed {
            let st = view.style(of: c, thisPass: false)
            #expect(st.fg == .rgb(t.heat(c.entropy! / TextView.entropyScale)))
            #expect(st.attrs.contains(.underline) == (c.entropy! > TextView.uncertainEntropy))
        }
    }

    @Test func appKeysStepEveryPaneAndBack() {
        let app = App(session: session(panes: 3, ticks: 0), ui: UIState(), remake: nil)
        for _ in 0..<5 { _ = app.handle(.char("n")) }
        app.session.waitUntilIdle()
        #expect(app.session.snapshot().panes.map(\.nfe) == [5, 5, 5])
        _ = app.handle(.char("p"))
        #expect(app.session.snapshot().panes.map(\.nfe) == [4, 4, 4])
        _ = app.handle(.right)
        #expect(app.session.snapshot().panes.map(\.nfe) == [5, 5, 5])
        _ = app.handle(.char("?"))
        #expect(app.ui.overlay == .help)
        _ = app.handle(.escape)
        #expect(app.ui.overlay == nil)
        _ = app.handle(.char("c"))
        #expect(!app.ui.compare)
        _ = app.handle(.char("h"))
        #expect(app.ui.gridMode == .heatmap)
        _ = app.handle(.char("t"))
        #expect(app.ui.theme.name == "light")
        _ = app.handle(.char("/"))
        #expect(app.ui.promptDraft == nil && app.ui.message == "a replay's prompt is fixed")
        #expect(app.handle(.char("q")) == .quit)
        #expect(app.handle(.ctrlC) == .quit)
    }

    @Test func aClickOnATokenFocusesItsPaneAndMovesTheCursor() {
        let app = App(session: session(panes: 2, ticks: 3), ui: UIState(), remake: nil)
        let frame = Screen.render(app.session.snapshot(), app.ui, width: 120, height: 40)
        app.lastFrame = frame
        // The second pane's first committed token " The" (position 3) sits after the prompt "<s> The cat".
        let row = (0..<frame.height).first { frame.row($0).contains("SJD · NFE 3") }! + 1
        let x = Array(frame.row(row)).indices.filter { $0 >= 60 }.first { frame.target(atX: $0, y: row)?.position == 3 }
        #expect(x != nil)
        _ = app.handle(.click(x: x ?? 0, y: row))
        #expect(app.ui.focus == 1 && app.ui.cursor == 3)
        // A click on a border changes nothing.
        _ = app.handle(.click(x: 0, y: 0))
        #expect(app.ui.focus == 1 && app.ui.cursor == 3)
    }

    @Test func promptEditingRebuildsTheSession() {
        let first = session(panes: 1, ticks: 0)
        var made: [Scenario] = []
        let app = App(session: first, ui: UIState()) { sc in
            made.append(sc)
            return Session(scenario: sc) { _ in
                Workspace(decoders: [ReplayDecoder(name: "AR", prompt: [0], steps: ARSteps.steps)],
                          presenter: TestTextPresenter(), title: sc.prompt)
            }
        }
        _ = app.handle(.char("/"))
        for ch in "a dog" { _ = app.handle(.char(ch)) }
        _ = app.handle(.backspace)
        _ = app.handle(.char("g"))
        _ = app.handle(.enter)
        #expect(made.map(\.prompt) == ["a dog"])
        app.session.waitUntilIdle()
        #expect(app.session.snapshot().title == "a dog")
        _ = app.handle(.char("s"))
        #expect(made.last?.seed == first.scenario.seed &+ 1)
    }
}

enum ARSteps {
    static let steps = ScreenTests.arSteps(12)
}
