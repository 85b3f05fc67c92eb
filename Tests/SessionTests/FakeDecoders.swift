// Small deterministic decoders for session tests (test target only; the app never ships these).
import Foundation
import TokenloomDecoding
import TokenloomSession

/// A stand-in for an SJD-style decoder: each pass drafts `window` tokens after the frontier,
/// accepts a prefix of them (length from a seeded LCG), rejects the next one and commits a
/// resampled token in its place.
final class FakeWindowDecoder: Decoder {
    let name: String
    let prompt: [Int]
    private(set) var generated: [Int] = []
    private(set) var stats = DecodeStats()
    let window: Int
    let length: Int
    /// When set, every pass waits at this gate until the test lets it through (a "slow" decoder
    /// whose timing the test controls, instead of a sleep).
    var gate: StepGate?
    private var state: UInt64

    init(name: String, prompt: [Int] = [1, 2, 3], window: Int = 4, length: Int = 40, seed: UInt64 = 7) {
        self.name = name; self.prompt = prompt; self.window = window; self.length = length; self.state = seed
    }
    var isFinished: Bool { generated.count >= length }

    private func draw(_ n: Int) -> Int {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Int((state >> 33) % UInt64(n))
    }

    func step() throws -> [TraceEvent] {
        gate?.pass()
        let start = prompt.count + generated.count
        let n = min(window, length - generated.count)
        var events: [TraceEvent] = [.forward(start: start, count: n, ms: 1)]
        let accepted = draw(n + 1)
        var out: [Int] = []
        for j in 0..<n {
            let pos = start + j
            let tok = 100 + draw(50)
            events.append(.draft(position: pos, token: tok, q: 0.5))
            events.append(.entropy(position: pos, nats: Double(j) * 0.5))
            if j < accepted {
                events.append(.accept(position: pos, token: tok, p: 0.6, q: 0.5, u: 0.1)); out.append(tok)
            } else if j == accepted {
                events.append(.reject(position: pos, token: tok, p: 0.1, q: 0.5, u: 0.9))
                let r = 200 + draw(50)
                events.append(.resample(position: pos, token: r)); out.append(r)
                break
            }
        }
        if out.isEmpty { out.append(300) }
        events.append(.commit(start: start, tokens: out))
        generated += out
        stats.forwardPasses += 1; stats.tokensCommitted += out.count
        if isFinished { events.append(.finished(reason: "length")) }
        return events
    }
}

/// Holds a fake decoder's passes until the test lets them through, and counts the passes that began.
final class StepGate: @unchecked Sendable {
    private let condition = NSCondition()
    private var permits = 0
    private var isOpen = false
    private var entered = 0

    /// Called by the decoder as a pass begins: counts it, then blocks until a permit or the gate opens.
    func pass() {
        condition.lock(); defer { condition.unlock() }
        entered += 1
        condition.broadcast()
        while !isOpen && permits == 0 { condition.wait() }
        if !isOpen { permits -= 1 }
    }

    /// Lets `n` more passes through.
    func allow(_ n: Int = 1) { condition.lock(); permits += n; condition.broadcast(); condition.unlock() }

    /// Lets every pass through from now on.
    func open() { condition.lock(); isOpen = true; condition.broadcast(); condition.unlock() }

    /// Waits until `n` passes have begun (true), or `timeout` seconds pass (false).
    func waitUntilBegun(_ n: Int, timeout: Double = 10) -> Bool {
        let end = Date(timeIntervalSinceNow: timeout)
        condition.lock(); defer { condition.unlock() }
        while entered < n { if !condition.wait(until: end) { break } }
        return entered >= n
    }
}

/// A decoder whose step always throws.
final class FailingDecoder: Decoder {
    struct Boom: Error, CustomStringConvertible { var description: String { "boom at pass 1" } }
    let name = "Broken"
    let prompt = [1]
    let generated: [Int] = []
    let stats = DecodeStats()
    let isFinished = false
    func step() throws -> [TraceEvent] { throw Boom() }
}

func fakeBuilder(_ decoders: @escaping @Sendable () -> [Decoder]) -> ScenarioBuilder {
    { _ in Workspace(decoders: decoders(), presenter: IDPresenter(), title: "fake") }
}

let fakeScenario = Scenario(modelRef: "fake", prompt: "p", decoders: [ScenarioPane(.sjd)])
