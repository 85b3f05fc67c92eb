// DecoderSpec: a decoder named by the user ("ar", "jacobi", "sjd", "cntp", "lookahead", "sjd2") with
// its parameters, and the one place that builds it. The CLI, the bench and the session share it.
import TokenloomModels

public enum DecoderKind: String, CaseIterable, Sendable {
    case ar, jacobi, sjd, cntp, lookahead, sjd2

    /// Jacobi and Lookahead are greedy-only (their output is greedy AR's).
    public var greedyOnly: Bool { self == .jacobi || self == .lookahead }
    /// SJD2 needs an image model fine-tuned for next-clean-token prediction (ImageARModel).
    public var imageOnly: Bool { self == .sjd2 }
}

public struct DecoderSpec: Sendable {
    public var kind: DecoderKind
    /// Jacobi / SJD window (W, L); Lookahead window W; SJD2 window W (default 80).
    public var window: Int?
    /// SJD2: K, the denoising steps spread over the model's noise levels (default 20).
    public var levels: Int?
    /// SJD2: how noisy slots move toward clean (nil: the decoder's default).
    public var sjd2Schedule: SJD2Decoder.Schedule?
    /// Draft initialisation for Jacobi / SJD: random or repeat (repeat-last on text,
    /// repeat-left on an image grid when gridWidth is set).
    public var initRandom: Bool?
    public var gridWidth: Int?
    public var coupling = false
    /// SJD: generated-token indices where the window is used (nil: everywhere).
    public var jacobiRange: Range<Int>?
    /// Lookahead n-gram size N and guess set G.
    public var ngram = 4
    public var guesses = 5
    public var poolFromPrompt = false
    public var cntp = CNTPParameters()

    public init(kind: DecoderKind) { self.kind = kind }

    /// Builds the decoder. `punctuation` is CNTP's stop set (`CNTPDecoder.punctuationIDs`).
    public func make(model: CausalModel, prompt: [Int], settings: DecodeSettings,
                     punctuation: Set<Int> = []) throws -> Decoder {
        if kind.greedyOnly && !settings.sampler.isGreedy {
            throw DecodeError.badSettings("\(kind.rawValue) is greedy only (use --temperature 0, or sjd to sample)")
        }
        func scheme(defaultRandom: Bool) -> DraftInit {
            if initRandom ?? defaultRandom { return .random }
            if let w = gridWidth { return .repeatLeft(gridWidth: w) }
            return .repeatLast
        }
        switch kind {
        case .ar:
            return try AutoregressiveDecoder(model: model, prompt: prompt, settings: settings)
        case .jacobi:
            return try JacobiDecoder(model: model, prompt: prompt, settings: settings, window: window ?? 16,
                                     initScheme: scheme(defaultRandom: false))
        case .sjd:
            return try SJDDecoder(model: model, prompt: prompt, settings: settings, window: window ?? 16,
                                  initScheme: scheme(defaultRandom: true), coupling: coupling,
                                  jacobiRange: jacobiRange)
        case .cntp:
            return try CNTPDecoder(model: model, prompt: prompt, settings: settings, punctuation: punctuation,
                                   parameters: cntp)
        case .lookahead:
            return try LookaheadDecoder(model: model, prompt: prompt, settings: settings, W: window ?? 10,
                                        N: ngram, G: guesses, poolFromPrompt: poolFromPrompt)
        case .sjd2:
            guard let image = model as? ImageARModel else {
                throw DecodeError.badSettings("sjd2 runs on an image model (builtin:emoji) only")
            }
            if let schedule = sjd2Schedule {
                return try SJD2Decoder(model: image, prompt: prompt, settings: settings, window: window ?? 80,
                                       steps: levels ?? 20, schedule: schedule)
            }
            return try SJD2Decoder(model: image, prompt: prompt, settings: settings, window: window ?? 80,
                                   steps: levels ?? 20)
        }
    }
}
