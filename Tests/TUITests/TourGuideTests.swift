// A tour opens at pass 0: a stop at pass 0 is already shown, so the first `n` moves on to the next one.
import Testing
@testable import TokenloomTUI

@Suite struct TourGuideTests {
    @Test func aStopAtPassZeroIsAlreadyReached() {
        let g = TourGuide(title: "t", stops: [.init(pass: 0, note: "a"), .init(pass: 2, note: "b")])
        #expect(g.current == 0 && g.shown(at: 0) == 0)
        #expect(g.nextIndex == 1)
        let h = TourGuide(title: "t", stops: [.init(pass: 1, note: "a")])
        #expect(h.current == nil && h.nextIndex == 0)
    }
}
