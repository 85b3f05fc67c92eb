// The inspector lists the top alternatives an `alternatives` event recorded for the token under the
// cursor, with their probabilities and the chosen token marked, for committed tokens and drafts.
import Testing
import TokenloomDecoding
import TokenloomSession
@testable import TokenloomTUI

struct InspectorAlternativesTests {
    let text = TestTextPresenter()

    var steps: [[TraceEvent]] {
        [[.forward(start: 0, count: 3, ms: 1),
          .entropy(position: 3, nats: 1.25), .alternatives(position: 3, tokens: [6, 3, 9, 5, 13], probs: [0.4, 0.3, 0.15, 0.1, 0.05]),
          .commit(start: 3, tokens: [3]),
          .draft(position: 4, token: 7, q: 1),
          .entropy(position: 4, nats: 0.5), .alternatives(position: 4, tokens: [7, 2, 11, 12, 4], probs: [0.8, 0.1, 0.05, 0.03, 0.02])]]
    }

    @Test func inspectorListsTheTopFiveAndMarksTheChosenOne() {
        let s = replaySession([("SJD", [0, 1, 2], steps)], presenter: text, ticks: 1)
        let pane = s.snapshot().panes[0]
        #expect(pane.committed(at: 3)?.alternatives.map(\.token) == [6, 3, 9, 5, 13])
        let insp = Inspector(pane: pane, presenter: text, ui: UIState())
        let committed = insp.lines(at: 3)
        let top = "top 5: \" the\" 0.400  ▸\" sat\" 0.300  \" a\" 0.150  \" on\" 0.100  \" and\" 0.050"
        #expect(committed[2] == "entropy 1.250 nats")
        #expect(committed[3] == top)
        #expect(insp.lines(at: 4).contains("top 5: ▸\" mat\" 0.800  \" cat\" 0.100  \" ran\" 0.050  \"!\" 0.030  \".\" 0.020"))
        var ascii = UIState(); ascii.ascii = true
        #expect(Inspector(pane: pane, presenter: text, ui: ascii).lines(at: 3)[3].contains(">\" sat\" 0.300"))
        // On the screen: the cursor starts on the newest committed token, and its top 5 are drawn.
        var ui = UIState(); ui.cursor = 3
        let c = Screen.render(s.snapshot(), ui, width: 120, height: 30)
        #expect(line(c, containing: top) != nil)
    }

    @Test func noAlternativesNoLine() {
        let plain = steps.map { $0.filter { if case .alternatives = $0 { return false }; return true } }
        let s = replaySession([("SJD", [0, 1, 2], plain)], presenter: text, ticks: 1)
        let lines = Inspector(pane: s.snapshot().panes[0], presenter: text, ui: UIState()).lines(at: 3)
        #expect(!lines.contains { $0.hasPrefix("top ") })
    }
}
