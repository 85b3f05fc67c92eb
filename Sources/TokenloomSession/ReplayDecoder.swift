// ReplayDecoder: a Decoder that plays back recorded steps (a trace file read by `tokenloom
// replay`), so a recording goes through the same session and views as a live run.
import TokenloomDecoding

public final class ReplayDecoder: Decoder {
    public let name: String
    public let prompt: [Int]
    public private(set) var generated: [Int] = []
    public private(set) var stats = DecodeStats()
    private let steps: [[TraceEvent]]
    private var next = 0

    /// `steps`: the events of each forward pass, in order.
    public init(name: String, prompt: [Int], steps: [[TraceEvent]]) {
        self.name = name; self.prompt = prompt; self.steps = steps
    }

    public var isFinished: Bool { next >= steps.count }

    public func step() throws -> [TraceEvent] {
        guard next < steps.count else { return [] }
        let events = steps[next]
        next += 1
        for e in events {
            stats.record(e)
            if case .commit(_, let tokens) = e { generated += tokens }
        }
        // A recorded step is one forward pass even when its forward event was not recorded.
        if !events.contains(where: { if case .forward = $0 { return true }; return false }) { stats.forwardPasses += 1 }
        return events
    }

    /// Splits a flat event stream into steps: each `forward` event starts a new step.
    public static func split(_ events: [TraceEvent]) -> [[TraceEvent]] {
        var steps: [[TraceEvent]] = []
        for e in events {
            if case .forward = e { steps.append([e]) }
            else if steps.isEmpty { steps.append([e]) }
            else { steps[steps.count - 1].append(e) }
        }
        return steps
    }
}
