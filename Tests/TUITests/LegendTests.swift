// The legend (`l`) opens on every view and names what that view shows: the grid's modes with their
// colours and glyphs, the heatmap's numeric range, the text colourings, and the jargon.
import Testing
import TokenloomDecoding
import TokenloomSession
@testable import TokenloomTUI

@Suite struct LegendTests {
    let image = TestImagePresenter(width: 4, height: 4, first: 2)
    var imageSteps: [[TraceEvent]] {
        [[.forward(start: 0, count: 2, ms: 1), .entropy(position: 2, nats: 0.5), .commit(start: 2, tokens: [10])],
         [.forward(start: 2, count: 4, ms: 1), .accept(position: 3, token: 11, p: 0.4, q: 0.5, u: 0.1),
          .reject(position: 4, token: 12, p: 0.01, q: 0.5, u: 0.9), .resample(position: 4, token: 13),
          .entropy(position: 4, nats: 2.0), .commit(start: 3, tokens: [11, 13])]]
    }

    @Test func opensOnEveryViewAndNamesIt() {
        let s = replaySession([("SJD", [0, 1], imageSteps)], presenter: image, ticks: 2).snapshot()
        let wants: [GridMode: [String]] = [.colour: ["palette colour", "draft"], .state: ["accepted draft", "resampled", "sampled directly"],
                                           .heatmap: ["0 nats", "2.00 nats, the largest"], .imageOnly: ["image only"]]
        for mode in GridMode.allCases {
            var ui = UIState(); ui.gridMode = mode; ui.overlay = .legend
            let c = Screen.render(s, ui, width: 120, height: 40)
            #expect(c.find("legend: SJD") != nil, "\(mode)")
            for w in wants[mode] ?? [] { #expect(line(c, containing: w) != nil, "\(mode) lacks \(w)") }
            for w in ["NFE", "@N", "#id", "acc"] { #expect(line(c, containing: w + " ") != nil, "\(mode) lacks \(w)") }
        }
        let text = replaySession([("AR", [0, 1, 2], ARSteps.steps)], presenter: TestTextPresenter(), ticks: 2).snapshot()
        for colouring in [TextColouring.entropy, .probability] {
            var ui = UIState(); ui.textColouring = colouring; ui.overlay = .legend
            let c = Screen.render(text, ui, width: 120, height: 40)
            #expect(c.find("legend: AR") != nil)
            #expect(line(c, containing: colouring == .entropy ? "3.00 nats or more" : "p = 0") != nil)
        }
        // The key is listed in the status bar and the help.
        #expect(line(Screen.render(s, UIState(), width: 120, height: 40), containing: "l legend") != nil)
        #expect(KeyMap.bindings.contains { $0.action == .legend && $0.keys == [.char("l")] })
    }
}

/// `]` / `[` stop at passes with an event of interest; `:` takes a pass number.
@Suite struct JumpKeyTests {
    @Test func eventsOfInterestAreRecognised() {
        let steps: [[TraceEvent]] = [
            [.forward(start: 0, count: 2, ms: 1), .commit(start: 2, tokens: [1])],
            [.forward(start: 2, count: 3, ms: 1), .match(position: 3, guess: 4, target: 4), .commit(start: 3, tokens: [4, 5])],
            [.forward(start: 4, count: 3, ms: 1), .match(position: 6, guess: 1, target: 2), .commit(start: 5, tokens: [2])],
        ]
        let s = replaySession([("Jacobi", [0, 1], steps)], presenter: TestTextPresenter(), ticks: 2)
        #expect(App.interesting(s.snapshot()) == nil)            // a kept guess is not an event of interest
        s.next()
        #expect(s.waitUntilIdle(timeout: 10))
        #expect(App.interesting(s.snapshot()) == "a replaced guess in Jacobi")
        for (k, a) in [("]", Action.nextEvent), ("[", .previousEvent), (":", .gotoPass)] {
            #expect(KeyMap.bindings.contains { $0.action == a && $0.keys == [.char(Character(k))] })
        }
    }
}
