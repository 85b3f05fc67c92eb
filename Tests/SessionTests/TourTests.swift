// Tours: every shipped scenario runs headless to its end, every stop happens at the pass its file
// says (so a note cannot silently drift from what the engine does), and resolution errors.
import Foundation
import Testing
import TokenloomModels
@testable import TokenloomSession
import TokenloomTestSupport

@Suite(.serialized) struct TourTests {
    func load(_ prefix: String) throws -> ScenarioFile {
        guard let f = shippedScenarios().first(where: { ($0 as NSString).lastPathComponent.hasPrefix(prefix) }) else {
            throw TourError.mismatch("no shipped scenario \(prefix)")
        }
        let sf = try ScenarioFile.load(path: f)
        let usesSmol = sf.scenario.modelRef == "smollm2" || sf.scenario.decoders.contains { $0.model?.contains("fused") ?? false }
            || sf.scenario.modelRef.contains("fused")
        if usesSmol { _ = try TestModels.smolLM2() }
        return sf
    }

    @Test(arguments: ["01", "02", "03", "04", "05", "06", "07", "08"])
    func shippedTourStopsHappenWhereTheNotesSay(_ prefix: String) throws {
        let sf = try load(prefix)
        let ws = try Tour.build(sf)
        let run = try Tour.run(ws)
        #expect(ws.decoders.allSatisfy { $0.isFinished }, "\(sf.name) did not run to its end")
        #expect(ws.decoders.map(\.name) == sf.labels)
        let passes = try Tour.resolve(sf, run: run)
        for (i, stop) in sf.tour.enumerated() {
            #expect(passes[i] == stop.pass, "\(sf.name) stop \(i + 1): the file says pass \(stop.pass ?? -1), the engine \(passes[i])")
        }
    }

    /// Every shipped note states no figure of its own: each number in it is a placeholder filled from
    /// the engine at the stop's pass (or formula notation), and every placeholder fills.
    @Test(arguments: ["01", "02", "03", "04", "05", "06", "07", "08"])
    func shippedTourNotesTakeTheirNumbersFromTheEngine(_ prefix: String) throws {
        let sf = try load(prefix)
        for (i, stop) in sf.tour.enumerated() {
            #expect(TourNoteTemplate.literalNumbers(in: stop.note).isEmpty,
                    "\(sf.name) stop \(i + 1) states figures nothing checks: \(TourNoteTemplate.literalNumbers(in: stop.note))")
        }
        let ws = try Tour.build(sf)
        let run = try Tour.run(ws)
        let notes = try Tour.notes(sf, run: run, passes: try Tour.resolve(sf, run: run), workspace: ws)
        for (i, n) in notes.enumerated() {
            #expect(!n.contains("{") && !n.contains("}"), "\(sf.name) stop \(i + 1): \(n)")
        }
    }

    @Test func headlessRunMatchesTheSession() throws {
        let sf = try load("04")
        let run = try Tour.run(try Tour.build(sf))
        let session = Session(scenario: sf.scenario, builder: ScenarioFactory.build)
        session.start()
        #expect(session.waitUntilIdle(timeout: 60))
        for _ in 0..<run.passes { session.next() }
        #expect(session.waitUntilIdle(timeout: 120))
        let snap = session.snapshot()
        #expect(snap.head == run.passes)
        for (i, pane) in snap.panes.enumerated() {
            #expect(pane.name == run.names[i])
            #expect(pane.committed.map(\.token) == run.generated[i])
        }
        session.cancel()
    }

    @Test func resolutionRefusesStopsTheEngineDoesNotBear() throws {
        var sf = try load("04")
        let run = try Tour.run(try Tour.build(sf))
        let good = try Tour.resolve(sf, run: run)
        func message(_ f: ScenarioFile) -> String {
            do { _ = try Tour.resolve(f, run: run); return "no error" } catch { return "\(error)" }
        }
        // An event stop whose pass is off by one.
        guard let k = sf.tour.firstIndex(where: { $0.event != nil }), let p = sf.tour[k].pass else {
            Issue.record("scenario 04 has no event stop"); return
        }
        var shifted = sf
        shifted.tour[k].pass = p + 1
        let ev = sf.tour[k].event!.rawValue, pane = sf.tour[k].decoder!
        #expect(message(shifted) == "\(sf.path): tour stop \(k + 1): \(ev) in \(pane) happens at pass \(good[k]), the file says \(p + 1)")
        // An event that never happens (SJD opens no CNTP branch).
        var never = sf
        never.tour = [TourStop(event: .firstBranch, note: "n")]
        #expect(message(never) == "\(sf.path): tour stop 1: first-branch never happens (the run takes \(run.passes) passes)")
        // A pass past the end, and stops out of order.
        sf.tour = [TourStop(pass: run.passes + 1, note: "n")]
        #expect(message(sf) == "\(sf.path): tour stop 1: pass \(run.passes + 1) is past the end (the run takes \(run.passes) passes)")
        sf.tour = [TourStop(pass: 5, note: "a"), TourStop(pass: 2, note: "b")]
        #expect(message(sf).hasSuffix("tour stop 2 (pass 2) comes before stop 1 (pass 5); list the stops in pass order"))
    }
}
