// DecodeStats: the one definition of the counters every decoder reports (CLI, TUI and bench
// all read these, so the numbers mean the same thing everywhere).

public struct DecodeStats: Sendable, Equatable, Codable {
    /// Forward passes run (NFE). CNTP trial tokens count one each.
    public var forwardPasses = 0
    /// Tokens made final (prompt excluded).
    public var tokensCommitted = 0
    /// Draft tokens put to a verification test.
    public var drafted = 0
    /// Draft tokens that passed it.
    public var accepted = 0
    /// Wall time spent inside forward passes.
    public var forwardMs = 0.0

    public init() {}

    /// Counts one event: the one update that live decoders (through DecodeState) and replayed
    /// traces share, so their figures mean the same thing.
    public mutating func record(_ event: TraceEvent) {
        switch event {
        case .forward(_, _, let ms): forwardPasses += 1; forwardMs += ms
        case .accept: drafted += 1; accepted += 1
        case .reject: drafted += 1
        case .match(_, let guess, let target): drafted += 1; if guess == target { accepted += 1 }
        case .commit(_, let tokens): tokensCommitted += tokens.count
        default: break
        }
    }

    /// Tokens committed per forward pass (1.0 for AR).
    public var tokensPerPass: Double { forwardPasses == 0 ? 0 : Double(tokensCommitted) / Double(forwardPasses) }
    /// accepted / drafted (0 when nothing was drafted).
    public var acceptanceRate: Double { drafted == 0 ? 0 : Double(accepted) / Double(drafted) }

    enum CodingKeys: String, CodingKey {
        case forwardPasses = "forward_passes", tokensCommitted = "tokens_committed"
        case drafted, accepted, forwardMs = "forward_ms"
    }
}
