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
    /// Its settings in a few characters, for pane titles: "greedy", "T 0.7 W16", "W80 K20".
    var mode: String { get }
    /// Its rule in words, with its actual parameters: the first paragraph of the explain overlay.
    var rule: String { get }
    /// The sampler it draws with (nil where it cannot say: a replayed trace).
    var sampler: SamplerSettings? { get }
    /// Runs one forward pass and returns what happened.
    func step() throws -> [TraceEvent]
}

extension Decoder {
    public var finishReason: String? { nil }
    public var mode: String { "" }
    public var rule: String { "" }
    public var sampler: SamplerSettings? { nil }
}

/// "greedy" or "T 0.7" (top-k / top-p when set), for `mode`.
func samplerMode(_ s: SamplerSettings) -> String {
    if s.isGreedy { return "greedy" }
    var out = "T \(shortNumber(s.temperature))"
    if s.topK > 0 { out += " k\(s.topK)" }
    if s.topP < 1 { out += " p\(shortNumber(s.topP))" }
    return out
}

/// 0.7, 1, 0.95: a number without trailing zeros.
func shortNumber(_ x: Double) -> String {
    if x == x.rounded() && abs(x) < 1e9 { return String(Int(x)) }
    var s = String((x * 1000).rounded() / 1000)
    while s.hasSuffix("0") { s.removeLast() }
    return s
}
