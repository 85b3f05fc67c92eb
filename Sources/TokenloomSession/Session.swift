// Session: owns a scenario's decoders, steps them in lockstep on a background serial queue (one
// forward pass per decoder per tick), records a timeline of compact StepRecords, and hands
// immutable Snapshots to the UI. Stepping back is a lookup; quitting or replacing the session
// cancels the work in flight (a pass already running finishes, and its result is dropped).
import Foundation
import TokenloomDecoding
import TokenloomKernels

public final class Session: @unchecked Sendable {
    public let scenario: Scenario
    /// Speeds while playing, as milliseconds between ticks (`+` / `-` move along this list).
    public static let intervalsMs = [1000, 500, 250, 120, 60, 30, 0]
    /// Ticks whose events stay in memory; older records keep their compact state only.
    public let eventRetention: Int

    private let builder: ScenarioBuilder
    private let engine = DispatchQueue(label: "tokenloom.session.engine", qos: .userInitiated)
    private let lock = NSLock()

    // Engine-queue state (touched only on `engine`).
    private var decoders: [Decoder] = []
    private var recorders: [TrackRecorder] = []
    private var stopped: [Bool] = []

    // Shared state (guarded by `lock`).
    private struct Track {
        var name: String
        var mode = ""
        var rule = ""
        var prompt: [Int]
        var records: [StepRecord] = []
        var committed: [CommittedToken] = []
        var fuserGates: [Double] = []
    }
    private var tracks: [Track] = []
    private var presenter: TokenPresenter = IDPresenter()
    private var title: String
    private var note: String?
    private var fuser: [FuserGate] = []
    private var buildError: String?
    private var building = true
    private var running = false
    private var cancelled = false
    private var exhausted = false
    private var head = 0
    private var cursor = 0
    /// The tick the user asked to see; the engine computes until `head` reaches it.
    private var wanted = 0
    private var playing = false
    private var speed = 2
    private var lastAdvance = 0.0
    private var _version = 0

    public init(scenario: Scenario, eventRetention: Int = 4096, builder: @escaping ScenarioBuilder) {
        self.scenario = scenario
        self.builder = builder
        self.eventRetention = max(16, eventRetention)
        self.title = scenario.modelRef
    }

    /// Builds the scenario's decoders on the engine queue; the UI shows a "loading" snapshot meanwhile.
    public func start() {
        engine.async { [self] in
            do {
                let ws = try builder(scenario)
                guard (1...4).contains(ws.decoders.count) else {
                    throw SessionError.badScenario("a session runs 1 to 4 decoders, got \(ws.decoders.count)")
                }
                decoders = ws.decoders
                recorders = ws.decoders.map { TrackRecorder(promptCount: $0.prompt.count) }
                stopped = ws.decoders.map { $0.isFinished }
                var initial: [Track] = []
                for (i, d) in ws.decoders.enumerated() {
                    let rec = recorders[i].record(tick: 0, events: [], stats: d.stats)
                    initial.append(Track(name: d.name, mode: d.mode, rule: d.rule, prompt: d.prompt, records: [rec]))
                }
                locked {
                    tracks = initial; presenter = ws.presenter; title = ws.title; note = ws.note; fuser = ws.fuser
                    building = false; exhausted = stopped.allSatisfy { $0 }
                    bump(); pumpEngine()
                }
            } catch {
                locked { buildError = "\(error)"; building = false; bump() }
            }
        }
    }

    // MARK: - Controls (any thread; the UI calls them from the main thread)

    /// Changes whenever anything a snapshot shows changes.
    public var version: Int { locked { _version } }

    /// One forward pass on: a lookup if it was computed before, else the engine computes it.
    public func next() { locked { wanted = exhausted ? min(wanted + 1, head) : wanted + 1; settle() } }
    public func back() { locked { wanted = max(0, cursor - 1); settle() } }
    public func first() { locked { wanted = 0; settle() } }
    public func last() { locked { wanted = head; settle() } }
    public func togglePlay(now: Double = Session.now()) {
        locked { playing.toggle(); lastAdvance = now; if playing && exhausted && cursor >= head { playing = false }; bump() }
    }
    public func faster() { locked { speed = min(speed + 1, Session.intervalsMs.count - 1); bump() } }
    public func slower() { locked { speed = max(speed - 1, 0); bump() } }

    /// Advances the cursor while playing; call it from the UI loop.
    public func pump(now: Double = Session.now()) {
        locked {
            guard playing, !building else { return }
            if exhausted && cursor >= head { playing = false; bump(); return }
            let interval = Double(Session.intervalsMs[speed]) / 1000
            if cursor == wanted && now - lastAdvance >= interval {
                lastAdvance = now
                wanted += 1
                if exhausted { wanted = min(wanted, head) }
                settle()
            }
        }
    }

    /// Stops all work: the pass in flight (if any) finishes and is dropped; no more are started.
    public func cancel() { locked { cancelled = true; playing = false; bump() } }

    /// Blocks until the engine is idle with the wanted tick computed (or `timeout` seconds pass).
    /// For tests and benchmarks; the UI never waits.
    @discardableResult
    public func waitUntilIdle(timeout: Double = 30) -> Bool {
        let end = Session.now() + timeout
        while Session.now() < end {
            let idle = locked { !building && !running && (head >= wanted || exhausted || cancelled) }
            if idle { return true }
            usleep(1000)
        }
        return false
    }

    // MARK: - Snapshots

    public func snapshot() -> Snapshot {
        locked {
            if tracks.isEmpty {
                var s = Snapshot.empty(title: title)
                s.busy = building; s.error = buildError; s.note = note
                return s
            }
            let panes = tracks.map { t -> DecoderSnapshot in
                let i = min(cursor, t.records.count - 1)
                let rec = t.records[i]
                let recent = Array(t.records[max(0, i - 7)...i])
                return DecoderSnapshot(name: t.name, mode: t.mode, rule: t.rule, tick: cursor, prompt: t.prompt,
                                       committed: Array(t.committed.prefix(rec.committedCount)),
                                       current: rec, recent: recent, fuserGates: t.fuserGates)
            }
            return Snapshot(tick: cursor, head: head, playing: playing, busy: running || building, panes: panes,
                            presenter: presenter, title: title, note: note, error: buildError,
                            intervalMs: Session.intervalsMs[speed], fuser: fuser)
        }
    }

    public static func now() -> Double { MonotonicClock.seconds() }

    // MARK: - Engine

    private func locked<T>(_ body: () -> T) -> T { lock.lock(); defer { lock.unlock() }; return body() }
    private func bump() { _version &+= 1 }

    /// Moves the cursor to what is wanted and computed, and starts the engine if more is wanted.
    /// Call with the lock held.
    private func settle() {
        cursor = min(wanted, head)
        bump()
        pumpEngine()
    }

    /// Call with the lock held.
    private func pumpEngine() {
        guard !running, !building, !cancelled, !exhausted, head < wanted else { return }
        running = true
        let tick = head + 1
        engine.async { [self] in runTick(tick) }
    }

    /// One tick on the engine queue: one step of every decoder that has not stopped.
    private func runTick(_ tick: Int) {
        var records: [StepRecord] = []
        var newCommitted: [[CommittedToken]] = []
        var gates: [[Double]?] = []
        for (i, d) in decoders.enumerated() {
            if locked({ cancelled }) { locked { running = false }; return }
            let before = recorders[i].committed.count
            let gatesBefore = recorders[i].fuserGates.count
            var rec: StepRecord
            if stopped[i] {
                rec = recorders[i].record(tick: tick, events: [], stats: d.stats)
            } else {
                do {
                    let events = try d.step()
                    rec = recorders[i].record(tick: tick, events: events, stats: d.stats)
                    stopped[i] = d.isFinished
                } catch {
                    rec = recorders[i].record(tick: tick, events: [], stats: d.stats, error: "\(error)")
                    stopped[i] = true
                }
            }
            records.append(rec)
            newCommitted.append(Array(recorders[i].committed[before...]))
            let g = recorders[i].fuserGates
            gates.append(g.count == gatesBefore && gatesBefore > 0 ? nil
                         : (0..<((g.keys.max() ?? -1) + 1)).map { g[$0] ?? 0 })
        }
        let allStopped = stopped.allSatisfy { $0 }
        locked {
            guard !cancelled else { running = false; return }
            for i in tracks.indices {
                var rec = records[i]
                if let prev = tracks[i].records.last, rec.error == nil, prev.error != nil { rec.error = prev.error }
                tracks[i].records.append(rec)
                tracks[i].committed.append(contentsOf: newCommitted[i])
                if let g = gates[i], !g.isEmpty { tracks[i].fuserGates = g }
                // Bound memory: old ticks keep their compact state but drop their events.
                let old = tracks[i].records.count - 1 - eventRetention
                if old >= 1, !tracks[i].records[old].events.isEmpty { tracks[i].records[old].events = [] }
            }
            head = tick
            if allStopped { exhausted = true; wanted = min(wanted, head) }
            running = false
            settle()
        }
    }
}
