// Session: lockstep ticks, stepping back as a lookup, play, cancellation, errors, bounded events.
import Testing
import Foundation
import TokenloomDecoding
@testable import TokenloomSession

@Suite struct SessionTests {
    @Test func lockstepTicksAdvanceEveryDecoderOncePerTick() {
        let s = Session(scenario: fakeScenario, builder: fakeBuilder {
            [FakeWindowDecoder(name: "AR", window: 1), FakeWindowDecoder(name: "SJD", window: 4, seed: 3)]
        })
        s.start()
        #expect(s.waitUntilIdle())
        #expect(s.snapshot().panes.map(\.nfe) == [0, 0])
        for _ in 0..<5 { s.next() }
        #expect(s.waitUntilIdle())
        let snap = s.snapshot()
        #expect(snap.tick == 5 && snap.head == 5)
        #expect(snap.panes.map(\.nfe) == [5, 5])
        #expect(snap.panes.map(\.name) == ["AR", "SJD"])
        // AR with a one-token window commits exactly one token per pass.
        #expect(snap.panes[0].committed.count == 5)
    }

    @Test func keysPressedWhileATickRunsQueueExactlyOneTickEach() {
        let gate = StepGate()
        let s = Session(scenario: fakeScenario, builder: fakeBuilder {
            let d = FakeWindowDecoder(name: "AR", window: 1, length: 100); d.gate = gate; return [d]
        })
        s.start()
        #expect(s.waitUntilIdle())
        // Every key after the first lands while a pass is running (held at the gate).
        s.next()
        #expect(gate.waitUntilBegun(1))
        for _ in 0..<4 { s.next() }
        gate.allow()
        #expect(gate.waitUntilBegun(2))
        for _ in 0..<5 { s.next() }
        gate.open()
        #expect(s.waitUntilIdle())
        let snap = s.snapshot()
        #expect(snap.head == 10 && snap.tick == 10)
        #expect(snap.panes[0].nfe == 10)
        #expect(snap.panes[0].recent.map(\.tick) == Array(3...10))
    }

    @Test func steppingBackIsALookupOfTheSameState() {
        let s = Session(scenario: fakeScenario, builder: fakeBuilder { [FakeWindowDecoder(name: "SJD")] })
        s.start()
        for _ in 0..<6 { s.next() }
        #expect(s.waitUntilIdle())
        s.first(); s.next(); s.next(); s.next()
        let atThree = s.snapshot().panes[0]
        s.last()
        #expect(s.snapshot().tick == 6)
        s.back(); s.back(); s.back()
        let again = s.snapshot()
        #expect(again.tick == 3 && again.head == 6)
        #expect(again.panes[0].committed == atThree.committed)
        #expect(again.panes[0].current.events == atThree.current.events)
        #expect(again.panes[0].nfe == 3)
    }

    @Test func recordsMatchTheEventsTheDecoderEmitted() {
        // The same decoder run directly gives the events the session recorded, tick by tick.
        let reference = FakeWindowDecoder(name: "SJD", seed: 11)
        var expected: [[TraceEvent]] = []
        for _ in 0..<4 { expected.append(try! reference.step()) }
        let s = Session(scenario: fakeScenario, builder: fakeBuilder { [FakeWindowDecoder(name: "SJD", seed: 11)] })
        s.start()
        for t in 1...4 {
            s.next(); #expect(s.waitUntilIdle())
            let pane = s.snapshot().panes[0]
            #expect(pane.current.events == expected[t - 1])
        }
        let pane = s.snapshot().panes[0]
        #expect(pane.committed.map(\.token) == reference.generated)
        // Every committed token sits at its absolute position, with the verdict of its events.
        for (i, c) in pane.committed.enumerated() { #expect(c.position == 3 + i) }
        let flat = expected.flatMap { $0 }
        for c in pane.committed {
            let rejected = flat.contains { if case .reject(let p, _, _, _, _) = $0 { return p == c.position }; return false }
            #expect(c.verdict == (rejected ? .resampled : .accepted) || (c.token == 300 && c.verdict == .sampled))
        }
    }

    @Test func finishedDecodersStopAndTheSessionSaysSo() {
        let s = Session(scenario: fakeScenario, builder: fakeBuilder { [FakeWindowDecoder(name: "SJD", window: 2, length: 3)] })
        s.start()
        for _ in 0..<10 { s.next() }
        #expect(s.waitUntilIdle())
        let snap = s.snapshot()
        #expect(snap.panes[0].committed.count == 3)
        #expect(snap.panes[0].current.finished == "length")
        #expect(snap.head == snap.tick && snap.head <= 3)
    }

    @Test func aThrowingDecoderShowsItsErrorWithoutStoppingTheSession() {
        let s = Session(scenario: fakeScenario, builder: fakeBuilder { [FailingDecoder(), FakeWindowDecoder(name: "AR", window: 1)] })
        s.start()
        s.next(); s.next()
        #expect(s.waitUntilIdle())
        let snap = s.snapshot()
        #expect(snap.panes[0].current.error == "boom at pass 1")
        #expect(snap.panes[1].nfe == 2)
    }

    @Test func aBuilderErrorIsReported() {
        let s = Session(scenario: fakeScenario) { _ in throw SessionError.badScenario("no such model 'x'") }
        s.start()
        #expect(s.waitUntilIdle())
        #expect(s.snapshot().error == "no such model 'x'")
        #expect(s.snapshot().panes.isEmpty)
    }

    @Test func cancelStopsFurtherPasses() {
        let gate = StepGate()
        let s = Session(scenario: fakeScenario, builder: fakeBuilder {
            let d = FakeWindowDecoder(name: "AR", window: 1, length: 1000); d.gate = gate; return [d]
        })
        s.start()
        for _ in 0..<50 { s.next() }
        // Three passes complete; the fourth is running (held at the gate) when the cancel comes.
        gate.allow(3)
        #expect(gate.waitUntilBegun(4))
        s.cancel()
        gate.open()
        #expect(s.waitUntilIdle())
        let head = s.snapshot().head
        // No pass begins after the cancel (one would go straight through the open gate).
        #expect(!gate.waitUntilBegun(5, timeout: 0.1))
        #expect(s.snapshot().head == head)
        #expect(head < 50)
        // The pass in flight finished and was dropped.
        #expect(head == 3)
    }

    @Test func controlsAnswerWhileAPassRuns() {
        let gate = StepGate()
        let s = Session(scenario: fakeScenario, builder: fakeBuilder {
            let d = FakeWindowDecoder(name: "AR", window: 1, length: 100); d.gate = gate; return [d]
        })
        s.start(); #expect(s.waitUntilIdle())
        s.next()
        #expect(gate.waitUntilBegun(1))   // the pass is running, held at the gate
        let t0 = Session.now()
        s.back(); _ = s.snapshot(); s.faster()
        #expect(Session.now() - t0 < 0.05)
        s.cancel()
        gate.open()
        #expect(s.waitUntilIdle())
    }

    @Test func playAdvancesUntilTheDecodersFinish() {
        let s = Session(scenario: fakeScenario, builder: fakeBuilder { [FakeWindowDecoder(name: "SJD", window: 3, length: 12)] })
        s.start(); #expect(s.waitUntilIdle())
        for _ in 0..<10 { s.faster() }
        var now = 0.0
        s.togglePlay(now: now)
        for _ in 0..<200 {
            now += 1; s.pump(now: now); s.waitUntilIdle()
            if !s.snapshot().playing { break }
        }
        let snap = s.snapshot()
        #expect(!snap.playing)
        #expect(snap.panes[0].committed.count == 12)
    }

    @Test func oldTicksDropTheirEventsButKeepTheirState() {
        let s = Session(scenario: fakeScenario, eventRetention: 16, builder: fakeBuilder {
            [FakeWindowDecoder(name: "AR", window: 1, length: 100)]
        })
        s.start()
        for _ in 0..<40 { s.next() }
        #expect(s.waitUntilIdle())
        s.first(); s.next()
        let early = s.snapshot().panes[0]
        #expect(early.current.events.isEmpty)
        #expect(early.committed.count == 1 && early.nfe == 1)
        s.last()
        #expect(!s.snapshot().panes[0].current.events.isEmpty)
    }

    @Test func replayDecoderPlaysRecordedStepsBack() throws {
        let source = FakeWindowDecoder(name: "SJD", seed: 5)
        var flat: [TraceEvent] = []
        while !source.isFinished { flat += try source.step() }
        let steps = ReplayDecoder.split(flat)
        let replay = ReplayDecoder(name: "SJD", prompt: source.prompt, steps: steps)
        while !replay.isFinished { _ = try replay.step() }
        #expect(replay.generated == source.generated)
        #expect(replay.stats.forwardPasses == source.stats.forwardPasses)
        #expect(replay.stats.tokensCommitted == source.stats.tokensCommitted)
    }
}
