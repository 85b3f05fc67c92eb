// DecodeSettings: what every decoder shares: the stop rule, the sampler, the seed, and the hooks an
// image model uses to restrict the vocabulary. DecodeError: bad settings or input, one line each.
import TokenloomModels

/// Edits one logits row in place before sampling; `position` is the absolute sequence position of
/// the token being predicted (an image model forces end-of-row tokens or masks text tokens here).
public typealias LogitProcessor = @Sendable (_ position: Int, _ logits: inout [Float]) -> Void

public struct DecodeSettings: Sendable {
    /// Stop after this many new tokens (for an image grid: its fixed length, with `isEnd` off).
    public var maxNewTokens: Int
    public var sampler: SamplerSettings
    public var seed: UInt64
    /// End-of-generation test (normally `Tokenizing.isEndOfGeneration`); nil: no EOS stop.
    public var isEnd: (@Sendable (Int) -> Bool)?
    public var logitProcessor: LogitProcessor?
    /// Tokens a random draft may be (an image model's image tokens); nil: the whole vocabulary.
    public var draftTokens: [Int]?
    /// After each `entropy` event, an `alternatives` event with this many most probable tokens of the
    /// same distribution (the explorer's inspector asks for 5); 0: none, so traces stay as they were.
    public var topAlternatives: Int

    public init(maxNewTokens: Int = 64, sampler: SamplerSettings = .greedy, seed: UInt64 = 0,
                isEnd: (@Sendable (Int) -> Bool)? = nil, logitProcessor: LogitProcessor? = nil,
                draftTokens: [Int]? = nil, topAlternatives: Int = 0) {
        self.maxNewTokens = maxNewTokens; self.sampler = sampler; self.seed = seed
        self.isEnd = isEnd; self.logitProcessor = logitProcessor; self.draftTokens = draftTokens
        self.topAlternatives = topAlternatives
    }

    public func validate() throws {
        guard maxNewTokens >= 1 else { throw DecodeError.badSettings("max new tokens must be >= 1, got \(maxNewTokens)") }
        try sampler.validate()
        guard topAlternatives >= 0 else { throw DecodeError.badSettings("top alternatives must be >= 0, got \(topAlternatives)") }
        if let d = draftTokens, d.isEmpty { throw DecodeError.badSettings("the draft token set is empty") }
    }
}

public enum DecodeError: UserFacingError, Sendable, Equatable {
    /// A setting out of its range, or a decoder the model cannot run (exit 2).
    case badSettings(String)
    /// A prompt the model cannot take (exit 2).
    case badInput(String)
    /// A model the decoding needs is missing or unusable (exit 1).
    case unavailable(String)

    public var description: String {
        switch self {
        case .badSettings(let m), .badInput(let m), .unavailable(let m): return m
        }
    }

    public var exitCode: Int32 {
        if case .unavailable = self { return ExitStatus.badData }
        return ExitStatus.badUsage
    }
}
