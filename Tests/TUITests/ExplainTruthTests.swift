// The explain overlay tells the truth for every decoder, on real runs of the built-in image model:
// each decoder's paragraph is its own rule with its own parameters, every stated comparison of an
// acceptance test holds for the numbers printed, greedy Jacobi never speaks of u or min(1, p/q),
// and no sentence claims that a wide pass costs about one token's (it states the measured ratio).
import Foundation
import Testing
import TokenloomDecoding
import TokenloomSession
@testable import TokenloomTUI

@Suite struct ExplainTruthTests {
    /// "= 0.412 > u = 0.300" / "= 0.100 ≤ u = 0.900": the printed numbers and the relation.
    static func comparisons(_ text: String) -> [(Double, String, Double)] {
        let pattern = try! NSRegularExpression(pattern: #"= ([0-9.]+) (>|≤) u = ([0-9.]+)"#)
        let ns = text as NSString
        return pattern.matches(in: text, range: NSRange(location: 0, length: ns.length)).map { m in
            (Double(ns.substring(with: m.range(at: 1)))!, ns.substring(with: m.range(at: 2)), Double(ns.substring(with: m.range(at: 3)))!)
        }
    }

    @Test func everyStatedComparisonHoldsOnRealRuns() throws {
        var jacobi = DecoderSpec(kind: .jacobi); jacobi.temperature = 0
        let panes = [ScenarioPane(.ar), ScenarioPane(jacobi), ScenarioPane(.jacobiSample), ScenarioPane(.sjd)]
        let session = Session(scenario: Scenario(modelRef: "builtin:emoji", prompt: "red apple", decoders: panes, seed: 7),
                              builder: ScenarioFactory.build)
        session.start()
        #expect(session.waitUntilIdle(timeout: 120))
        var checked = 0, accepted = 0, rejected = 0, jacobiPasses = 0
        for _ in 0..<24 {
            session.next()
            #expect(session.waitUntilIdle(timeout: 120))
            let snap = session.snapshot()
            let one = Explain.onePositionMs(snap.panes)
            for pane in snap.panes {
                let paras = Explain.text(pane, snap.presenter, onePositionMs: one)
                let text = paras.joined(separator: "\n")
                #expect(!text.contains("costs little more"), "\(pane.name): \(text)")
                #expect(paras.first == pane.rule && !pane.rule.isEmpty)
                for (ratio, rel, u) in Self.comparisons(text) {
                    checked += 1
                    if rel == ">" { accepted += 1; #expect(ratio > u, "\(pane.name): \(text)") }
                    else { rejected += 1; #expect(ratio <= u, "\(pane.name): \(text)") }
                }
                if pane.name.hasSuffix("Jacobi") {
                    jacobiPasses += 1
                    #expect(!text.contains("min(1") && !text.contains("u ="), "\(pane.name): \(text)")
                    #expect(text.contains("A guess is kept only if it equals"), "\(pane.name): \(text)")
                }
                if pane.name == "Jacobi" { #expect(text.contains("argmax")) }
            }
        }
        // Both kinds of verdict were printed and checked.
        #expect(accepted > 0 && rejected > 0 && checked == accepted + rejected)
        #expect(jacobiPasses > 0)
        session.cancel()
    }

    @Test func widePassesStateTheirMeasuredCost() {
        let wide: [[TraceEvent]] = [[.forward(start: 0, count: 16, ms: 8), .commit(start: 3, tokens: [1])]]
        let narrow: [[TraceEvent]] = [[.forward(start: 0, count: 1, ms: 2), .commit(start: 3, tokens: [1])]]
        let snap = replaySession([("SJD", [0, 1, 2], wide), ("AR", [0, 1, 2], narrow)], presenter: IDPresenter(), ticks: 1).snapshot()
        let one = Explain.onePositionMs(snap.panes)
        #expect(one == 2)
        let text = Explain.text(snap.panes[0], IDPresenter(), onePositionMs: one).joined(separator: " ")
        #expect(text.contains("measured at 8.0 ms"))
        #expect(text.contains("A 1-position pass measured here takes 2.0 ms, so this one cost 4.0× one token's pass for 16 positions"))
    }
}

/// Tour 03 played to its end: the compare line gives SJD2's tokens per pass as 256 over the passes it
/// ran (not over the passes shown), says when it was done, and gives a wall-clock ratio beside it.
@Suite struct CompareLineTests {
    @Test func tour03EndsWithTruthfulFigures() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let file = try ScenarioFile.load(path: root.appendingPathComponent("examples/03-sjd2-vs-sjd-vs-ar.toml").path)
        let session = Session(scenario: file.scenario, builder: ScenarioFactory.build)
        session.start()
        #expect(session.waitUntilIdle(timeout: 120))
        session.last()
        var snap = session.snapshot()
        for _ in 0..<400 where !snap.panes.allSatisfy({ $0.current.finished != nil }) {
            session.next()
            #expect(session.waitUntilIdle(timeout: 120))
            snap = session.snapshot()
        }
        let line = Screen.compareSummary(snap)
        let sjd2 = try #require(snap.panes.first { $0.name == "SJD2" })
        #expect(sjd2.stats.tokensCommitted == 256)
        let perPass = 256.0 / Double(sjd2.nfe)
        #expect(line.contains("SJD2 256 tok, \(fmt(perPass))/pass, done in \(sjd2.nfe) passes, wall "), "\(line)")
        #expect(line.contains("AR 256 tok, 1.00/pass"), "\(line)")
        session.cancel()
    }
}
