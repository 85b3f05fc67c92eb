// Decoder: the contract of every decoding algorithm tokenloom shows.
//
// A decoder is a state machine. `step()` runs exactly one forward pass (a CNTP trial token is a
// step too) and returns the events of that step. It never sleeps, never touches the UI, and draws
// randomness only from the seeded generator it owns.

public protocol Decoder: AnyObject {
    /// The name panes and reports show: "AR", "Jacobi", "SJD", "SJD2", "CNTP", "Lookahead".
    var name: String { get }
    /// Prompt token ids (the first `promptCount` positions of the sequence).
    var prompt: [Int] { get }
    /// Tokens committed after the prompt, in order.
    var generated: [Int] { get }
    var stats: DecodeStats { get }
    var isFinished: Bool { get }
    /// Why decoding stopped ("eos", "length"), once finished; nil before, or for decoders that
    /// cannot say (a replayed trace).
    var finishReason: String? { get }
    /// Runs one forward pass and returns what happened.
    func step() throws -> [TraceEvent]
}

extension Decoder {
    public var finishReason: String? { nil }
}
