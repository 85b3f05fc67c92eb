// The CNTP tree, the Jacobi window table and the inspector, rendered on a canvas.
import Testing
import TokenloomDecoding
import TokenloomSession
@testable import TokenloomTUI

@Suite struct PanelTests {
    let text = TestTextPresenter()

    /// A CNTP branch at position 3 with 3 trials: " sat." (ppl 2.5), " on the mat," (ppl 1.25), " ran!" (ppl 4.0).
    var cntpSteps: [[TraceEvent]] {
        [[.forward(start: 0, count: 3, ms: 1), .entropy(position: 3, nats: 0.4),
          .branchOpened(position: 3, entropy: 0.4, trials: 3),
          .trialToken(trial: 0, token: 3, p: 0.5)],
         [.forward(start: 3, count: 1, ms: 1), .trialToken(trial: 0, token: 4, p: 0.8), .trialScored(trial: 0, perplexity: 2.5),
          .trialToken(trial: 1, token: 5, p: 0.4)],
         [.forward(start: 3, count: 1, ms: 1), .trialToken(trial: 1, token: 6, p: 0.9)],
         [.forward(start: 4, count: 1, ms: 1), .trialToken(trial: 1, token: 7, p: 0.9)],
         [.forward(start: 5, count: 1, ms: 1), .trialToken(trial: 1, token: 8, p: 0.7), .trialScored(trial: 1, perplexity: 1.25),
          .trialToken(trial: 2, token: 11, p: 0.1)],
         [.forward(start: 3, count: 1, ms: 1), .trialToken(trial: 2, token: 12, p: 0.6), .trialScored(trial: 2, perplexity: 4.0),
          .branchChosen(trial: 1), .commit(start: 3, tokens: [5, 6, 7, 8])]]
    }

    @Test func cntpTreeListsEveryTrialWithItsPerplexityAndTheWinner() {
        let s = replaySession([("CNTP", [0, 1, 2], cntpSteps)], presenter: text, ticks: 6)
        let c = Screen.render(s.snapshot(), UIState(), width: 100, height: 30)
        #expect(line(c, containing: "branch @3") != nil)
        #expect(line(c, containing: "H=0.40 nats → 3 trials") != nil)
        let t1 = line(c, containing: "1 ppl 2.50")
        let t2 = line(c, containing: "2 ppl 1.25")
        let t3 = line(c, containing: "3 ppl 4.00")
        #expect(t1?.contains("\" sat.\"") == true)
        #expect(t2?.contains("\" on the mat,\"") == true)
        #expect(t3?.contains("\" ran!\"") == true)
        #expect(t2?.contains("★ winner") == true)
        #expect(t1?.contains("winner") == false && t3?.contains("winner") == false)
        // The committed text is the winner's.
        #expect(line(c, containing: "The cat on the mat,") != nil)
        #expect(line(c, containing: "CNTP · NFE 6") != nil)
    }

    @Test func cntpTreeShowsTrialsStillRunning() {
        let s = replaySession([("CNTP", [0, 1, 2], cntpSteps)], presenter: text, ticks: 2)
        let lines = BranchTree(branch: s.snapshot().panes[0].current.branch!, presenter: text, ui: UIState()).lines()
        #expect(lines.count == 4)
        #expect(lines[1].text.contains("ppl 2.50"))
        #expect(lines[2].text.contains("running"))
        #expect(lines[3].text.contains("waiting"))
    }

    var sjdSteps: [[TraceEvent]] {
        [[.forward(start: 0, count: 3, ms: 1), .entropy(position: 3, nats: 0.2), .commit(start: 3, tokens: [3]),
          .draft(position: 4, token: 5, q: 1), .draft(position: 5, token: 6, q: 1), .draft(position: 6, token: 9, q: 1)],
         [.forward(start: 3, count: 4, ms: 2),
          .accept(position: 4, token: 5, p: 0.41, q: 0.62, u: 0.13), .entropy(position: 4, nats: 1.7),
          .reject(position: 5, token: 6, p: 0.05, q: 0.5, u: 0.9), .resample(position: 5, token: 10),
          .commit(start: 4, tokens: [5, 10]),
          .draft(position: 6, token: 11, q: 0.3)]]
    }

    @Test func inspectorShowsTheNumbersOfTheEventItPointsAt() {
        let s = replaySession([("SJD", [0, 1, 2], sjdSteps)], presenter: text, ticks: 2)
        let pane = s.snapshot().panes[0]
        let insp = Inspector(pane: pane, presenter: text, ui: UIState())
        let accepted = insp.lines(at: 4)
        #expect(accepted[0].contains("\" on\" #5") && accepted[0].contains("accepted at pass 2"))
        #expect(accepted[1] == "p 0.410  q 0.620  u 0.130  min(1,p/q) 0.661")
        #expect(accepted[2] == "entropy 1.700 nats")
        let rejected = insp.lines(at: 5)
        #expect(rejected[0].contains("\" dog\" #10") && rejected[0].contains("resampled"))
        #expect(rejected.contains("p 0.050  q 0.500  u 0.900  min(1,p/q) 0.100"))
        #expect(rejected.contains("rejected here before: \" the\" #6"))
        #expect(rejected.contains { $0.hasPrefix("this pass: \" the\" #6 rejected") })
        // The cursor starts on this pass's rejection, and the screen's inspector shows it.
        #expect(Inspector.defaultCursor(pane) == 5)
        let c = Screen.render(s.snapshot(), UIState(), width: 100, height: 30)
        #expect(line(c, containing: "p 0.050  q 0.500  u 0.900  min(1,p/q) 0.100") != nil)
        let draft = insp.lines(at: 6)
        #expect(draft[0].contains("draft, waiting"))
    }

    @Test func windowTableShowsEachPassByPosition() {
        let s = replaySession([("SJD", [0, 1, 2], sjdSteps)], presenter: text, ticks: 2)
        let pane = s.snapshot().panes[0]
        var c = Canvas(width: 60, height: 5)
        WindowTable(pane: pane, presenter: text, ui: UIState()).draw(into: &c, Rect(x: 0, y: 0, width: 60, height: 5))
        #expect(c.row(0).hasPrefix("pass  @4"))
        #expect(c.row(1).hasPrefix("#1    · on   · the  · a"))
        #expect(c.row(2).hasPrefix("#2    ✓ on   ↻ dog  · ran"))
    }

    @Test func explainSaysWhyAPositionWasRejected() {
        let s = replaySession([("SJD", [0, 1, 2], sjdSteps)], presenter: text, ticks: 2)
        let paras = Explain.text(s.snapshot().panes[0], text)
        #expect(paras.contains { $0.contains("@5 \" the\": p 0.050 / q 0.500 → min(1,p/q) = 0.100 ≤ u = 0.900: rejected.")
            && $0.contains("norm(max(0, p − q))") && $0.contains("\" dog\"") })
        #expect(paras.contains { $0.hasPrefix("@4 \" on\": p 0.410 / q 0.620") && $0.hasSuffix("accepted.") })
    }
}
