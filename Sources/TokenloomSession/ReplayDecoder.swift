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
        var passes = 0
        for e in events {
            switch e {
            case .forward(_, _, let ms): passes += 1; stats.forwardMs += ms
            case .accept: stats.accepted += 1; stats.drafted += 1
            case .reject: stats.drafted += 1
            case .commit(_, let tokens): generated += tokens; stats.tokensCommitted += tokens.count
            default: break
            }
        }
        // A recorded step is one forward pass even when its forward event was not recorded.
        stats.forwardPasses += max(passes, 1)
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
