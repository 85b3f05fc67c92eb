// DistributionJob: the distribution view's background work. It loads the scenario's models once,
// runs every pane over more and more seeds on its own queue (Distribution.run), and publishes a
// state the UI thread reads each frame: the sample so far, the verdicts, progress and time left.
import Foundation
import TokenloomDecoding
import TokenloomKernels

public final class DistributionJob: @unchecked Sendable {
    public struct State: Sendable {
        public var sample: DistributionSample?
        public var verdicts: [LosslessVerdict] = []
        /// Runs per decoder wanted.
        public var target: Int
        /// Decoder runs done and to do in the current extension.
        public var done = 0, total = 0
        /// Seconds since the current extension began.
        public var elapsed = 0.0
        public var running = false
        public var error: String?
        public init(target: Int) { self.target = target }
        /// Seconds left at the pace so far (nil before the first run ends).
        public var secondsLeft: Double? {
            guard running, done > 0, total > done else { return nil }
            return elapsed / Double(done) * Double(total - done)
        }
    }

    public static let defaultRuns = 200
    public static let runsRange = 20...5000

    public let scenario: Scenario
    private let queue = DispatchQueue(label: "tokenloom.distribution", qos: .utility)
    private let lock = NSLock()
    private var current: State
    /// Bumped by every `extend` and `stop`: a run that sees another generation stops.
    private var generation = 0
    private var loaded: ScenarioFactory.Loaded?

    public init(scenario: Scenario, runs: Int = DistributionJob.defaultRuns) {
        self.scenario = scenario
        current = State(target: runs)
    }

    public func state() -> State { lock.lock(); defer { lock.unlock() }; return current }

    /// Runs until every pane has `runs` runs, keeping those done (a target below them runs nothing).
    public func extend(to runs: Int) {
        lock.lock()
        generation += 1
        let gen = generation
        current.target = runs
        current.error = nil
        let have = current.sample?.runs ?? 0
        current.running = have < runs
        current.done = 0; current.total = max(0, runs - have) * scenario.decoders.count; current.elapsed = 0
        lock.unlock()
        guard have < runs else { return }
        queue.async { [self] in work(gen, runs) }
    }

    /// Stops after the decoder run in progress; what was done is kept.
    public func stop() {
        lock.lock(); generation += 1; current.running = false; lock.unlock()
    }

    private func work(_ gen: Int, _ runs: Int) {
        let t0 = MonotonicClock.seconds()
        func live() -> Bool { lock.lock(); defer { lock.unlock() }; return generation == gen }
        do {
            if loaded == nil { loaded = try ScenarioFactory.load(scenario) }
            guard live() else { return }
            var sample = state().sample
            let start = sample?.runs ?? 0
            // One round (a run of every pane) at a time, so the screen fills in as it goes.
            while (sample?.runs ?? 0) < runs, live() {
                let before = sample?.runs ?? 0
                sample = try Distribution.run(loaded!, runs: before + 1, continuing: sample) { _, _ in live() }
                let verdicts = Distribution.verdicts(sample!)
                lock.lock()
                if generation == gen {
                    current.sample = sample; current.verdicts = verdicts
                    current.done = (sample!.runs - start) * scenario.decoders.count
                    current.elapsed = MonotonicClock.seconds() - t0
                }
                lock.unlock()
                if sample!.runs == before { break }
            }
            lock.lock(); if generation == gen { current.running = false }; lock.unlock()
        } catch {
            lock.lock()
            if generation == gen { current.error = "\(error)"; current.running = false }
            lock.unlock()
        }
    }
}
