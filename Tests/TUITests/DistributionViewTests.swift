// The distribution view (`d`) drawn from a known sample: the bars' shares, the exact column at the
// first position, the per-position and Holm verdicts, the image agreement; and in the app, `d`
// starts a real job on the built-in image model whose runs arrive, `x` stops it, Esc closes it.
import Foundation
import Testing
import TokenloomDecoding
import TokenloomSession
import TokenloomTestSupport
@testable import TokenloomTUI

@Suite struct DistributionViewTests {
    /// 2x1 image grid, 40 runs: AR puts token 3 in cell 0 always and 5 or 6 (half each) in cell 1;
    /// "LOSSY" puts 3 in cell 0 and always 6 in cell 1.
    static func sample() -> DistributionSample {
        let ar = (0..<40).map { [3, $0 % 2 == 0 ? 5 : 6] }
        let lossy = (0..<40).map { _ in [3, 6] }
        return DistributionSample(names: ["AR", "LOSSY"], outputs: [ar, lossy], passes: [Array(repeating: 2, count: 40), Array(repeating: 1, count: 40)],
                                  seconds: [1, 1], exactFirst: [3: 0.9, 4: 0.1], reference: 0)
    }

    func render(cursor: Int) -> Canvas {
        let s = replaySession([("AR", [0], [[.forward(start: 0, count: 1, ms: 1), .commit(start: 1, tokens: [3])]])],
                              presenter: TestImagePresenter(width: 2, height: 1, first: 1), ticks: 1)
        var ui = UIState()
        ui.overlay = .distribution
        ui.cursor = cursor
        var st = DistributionJob.State(target: 40)
        st.sample = Self.sample()
        st.verdicts = Distribution.verdicts(st.sample!)
        ui.distribution = st
        return Screen.render(s.snapshot(), ui, width: 120, height: 40)
    }

    @Test func secondCellShowsTheSharesAndTheDifference() throws {
        let c = render(cursor: 2)
        #expect(line(c, containing: "N = 40 runs per decoder") != nil)
        let row5 = try #require(line(c, containing: "#5 "))
        #expect(row5.contains("0.50") && row5.contains("0.00"), "\(row5)")
        let row6 = try #require(line(c, containing: "#6 "))
        #expect(row6.contains("0.50") && row6.contains("1.00"), "\(row6)")
        // 20/20 against 0/40: chi-square 26.7 on 1 df.
        let here = try #require(line(c, containing: "here vs AR"))
        let p = ChiSquare.twoSample([5: 20, 6: 20], [6: 40]).p
        #expect(here.contains("LOSSY p = \(LosslessVerdict.pText(p))"), "\(here)")
        // Holm over the two cells: cell 0 has one column (p = 1), so 2 x p.
        #expect(line(c, containing: "LOSSY: differs from AR (Holm p = \(LosslessVerdict.pText(min(1, 2 * p))))") != nil)
        // Agreement with AR's most common token (5 and 6 tie at 20: the smaller token, 5, is the mode).
        #expect(line(c, containing: "AR 75% · LOSSY 50%") != nil)
    }

    @Test func firstCellShowsTheExactDistribution() throws {
        let c = render(cursor: 1)
        #expect(line(c, containing: "exact") != nil)
        let row3 = try #require(line(c, containing: "#3 "))
        #expect(row3.contains("1.00") && row3.contains("0.90"), "\(row3)")
        #expect(line(c, containing: "other")?.contains("0.10") == true)
    }

    @Test func theCursorOffTheGeneratedTokensSaysSo() {
        #expect(line(render(cursor: 0), containing: "is not a generated position") != nil)
    }

    /// A real job: `d` starts it on the built-in model, runs arrive within the deadline, x stops it,
    /// and Esc closes the view and leaves the job stopped.
    @Test func dRunsAJobThatXStopsAndEscCloses() throws {
        let sc = Scenario(modelRef: "builtin:emoji", prompt: "red heart", decoders: [ScenarioPane(.ar), ScenarioPane(.sjd)], seed: 1)
        let session = Session(scenario: sc, builder: ScenarioFactory.build)
        session.start()
        #expect(session.waitUntilIdle(timeout: 60))
        let app = App(session: session, ui: UIState(), remake: nil)
        _ = app.handle(.char("d"))
        #expect(app.ui.overlay == .distribution)
        let got = Poll.until(timeout: 120) { app.refresh(); return (app.ui.distribution?.sample?.runs ?? 0) >= 1 }
        #expect(got, "no run arrived: \(String(describing: app.ui.distribution?.error))")
        _ = app.handle(.char("x"))
        let stopped = Poll.until(timeout: 60) { app.refresh(); return app.ui.distribution?.running == false }
        #expect(stopped)
        _ = app.handle(.escape)
        #expect(app.ui.overlay == nil && app.ui.distribution == nil)
        #expect(app.distributionJob?.state().running == false)
        session.cancel()
    }
}
