// Tour: the stops of a guided tour (a pass number or the first time something happens), the
// builder that makes a scenario file's panes (one model per pane allowed, labels as pane titles),
// and a headless run that steps every decoder in lockstep as the Session does, to find each stop.
import Foundation
import TokenloomDecoding
import TokenloomModels

/// Something worth stopping at: the first pass where it happens (in one pane, or in any).
public enum TourEvent: String, CaseIterable, Sendable {
    case firstRejection = "first-rejection"
    case firstAcceptance = "first-acceptance"
    case firstBranch = "first-branch"
    case firstResample = "first-resample"
    case finished

    /// Does this pass's event list show it?
    func happens(in events: [TraceEvent], finishedNow: Bool) -> Bool {
        switch self {
        case .finished: return finishedNow
        case .firstRejection: return events.contains {
            if case .reject = $0 { return true }
            if case .match(_, let g, let t) = $0 { return g != t }
            return false
        }
        case .firstAcceptance: return events.contains {
            if case .accept = $0 { return true }
            if case .match(_, let g, let t) = $0 { return g == t }
            return false
        }
        case .firstBranch: return events.contains { if case .branchOpened = $0 { return true }; return false }
        case .firstResample: return events.contains { if case .resample = $0 { return true }; return false }
        }
    }
}

public struct TourStop: Sendable, Equatable {
    /// The pass (session tick) the stop shows. With an event too, the pass where the file says the
    /// event first happens (checked by `Tour.resolve`).
    public var pass: Int?
    public var event: TourEvent?
    /// The pane the event is looked for in (its label or decoder name); nil: any pane.
    public var decoder: String?
    public var note: String

    public init(pass: Int? = nil, event: TourEvent? = nil, decoder: String? = nil, note: String) {
        self.pass = pass; self.event = event; self.decoder = decoder; self.note = note
    }
}

public enum TourError: UserFacingError, Sendable {
    public var exitCode: Int32 { ExitStatus.badData }
    case mismatch(String)
    public var description: String { switch self { case .mismatch(let s): return s } }
}

/// What a headless run saw: every pane's events by pass.
public struct HeadlessRun: Sendable {
    public var names: [String]
    /// events[pane][pass - 1]: the events of that pane's step at that pass (empty once it finished).
    public var events: [[[TraceEvent]]]
    /// The pass at which each pane finished.
    public var finishedAt: [Int]
    /// The tokens each pane generated.
    public var generated: [[Int]]
    /// Whether each pane finished (false where `maxPasses` stopped the run first).
    public var finished: [Bool] = []
    /// Each pane's sampler (nil for a decoder that does not expose one).
    public var samplers: [SamplerSettings?] = []
    /// Passes until every pane finished.
    public var passes: Int { finishedAt.max() ?? 0 }
}

public enum Tour {
    /// Builds a scenario file's panes under their labels (panes may name their own model).
    public static func build(_ file: ScenarioFile) throws -> Workspace {
        try ScenarioFactory.build(file.scenario)
    }

    /// Steps every pane in lockstep, one pass per unfinished pane per tick, until all finish (or
    /// `maxPasses`), recording each step's events.
    public static func run(_ ws: Workspace, maxPasses: Int = 100_000) throws -> HeadlessRun {
        let ds = ws.decoders
        var events = [[[TraceEvent]]](repeating: [], count: ds.count)
        var finishedAt = ds.map { $0.isFinished ? 0 : -1 }
        var tick = 0
        while finishedAt.contains(-1), tick < maxPasses {
            tick += 1
            for (i, d) in ds.enumerated() {
                guard finishedAt[i] < 0 else { events[i].append([]); continue }
                events[i].append(try d.step())
                if d.isFinished { finishedAt[i] = tick }
            }
        }
        return HeadlessRun(names: ds.map(\.name), events: events, finishedAt: finishedAt.map { $0 < 0 ? tick : $0 },
                           generated: ds.map(\.generated), finished: finishedAt.map { $0 >= 0 },
                           samplers: ds.map(\.sampler))
    }

    /// The first pass where `event` happens in the panes `pane` names (all when nil).
    public static func firstPass(of event: TourEvent, pane: String?, in run: HeadlessRun, file: ScenarioFile? = nil) -> Int? {
        let panes = run.names.indices.filter { i in
            guard let p = pane else { return true }
            return run.names[i] == p || file.map { i < $0.labels.count && $0.labels[i] == p } ?? false
        }
        var best: Int?
        for i in panes {
            for (t, ev) in run.events[i].enumerated() {
                if event.happens(in: ev, finishedNow: run.finishedAt[i] == t + 1) {
                    best = min(best ?? Int.max, t + 1)
                    break
                }
            }
        }
        return best
    }

    /// Each stop's note with its placeholders filled from the run at the stop's pass (`passes` from
    /// `resolve`); see TourNoteTemplate.
    public static func notes(_ file: ScenarioFile, run: HeadlessRun, passes: [Int], workspace ws: Workspace) throws -> [String] {
        try zip(file.tour, passes).enumerated().map { i, sp in
            do {
                return try TourNoteTemplate.fill(sp.0.note, pass: sp.1, run: run, presenter: ws.presenter, fuser: ws.fuser)
            } catch let TourError.mismatch(m) {
                throw TourError.mismatch("\(file.path): tour stop \(i + 1): \(m)")
            }
        }
    }

    /// Each stop's pass: event stops take the pass where their event first happens (and must agree
    /// with the file's `pass` when it gives one); pass stops must lie within the run.
    public static func resolve(_ file: ScenarioFile, run: HeadlessRun) throws -> [Int] {
        let passes = try file.tour.enumerated().map { i, stop in
            let at = "\(file.path): tour stop \(i + 1)"
            if let ev = stop.event {
                let where_ = stop.decoder.map { " in \($0)" } ?? ""
                guard let found = firstPass(of: ev, pane: stop.decoder, in: run, file: file) else {
                    throw TourError.mismatch("\(at): \(ev.rawValue)\(where_) never happens (the run takes \(run.passes) passes)")
                }
                if let p = stop.pass, p != found {
                    throw TourError.mismatch("\(at): \(ev.rawValue)\(where_) happens at pass \(found), the file says \(p)")
                }
                return found
            }
            let p = stop.pass ?? 0
            guard p <= run.passes else {
                throw TourError.mismatch("\(at): pass \(p) is past the end (the run takes \(run.passes) passes)")
            }
            return p
        }
        for i in passes.indices.dropFirst() where passes[i] < passes[i - 1] {
            throw TourError.mismatch("\(file.path): tour stop \(i + 1) (pass \(passes[i])) comes before stop \(i) (pass \(passes[i - 1])); list the stops in pass order")
        }
        return passes
    }
}
