// DecoderSpec: a decoder named by the user with its parameters and its sampler — the one settings
// type the CLI, scenario files, the explorer and the benchmarks fill in. Fields a decoder does not
// read are ignored by it; nil means "the registry's default". `validate()` holds every bound.
import TokenloomModels

public struct DecoderSpec: Sendable, Equatable {
    public var kind: DecoderKind
    /// Sampling temperature (0 = greedy); nil: the registry's default for this kind and model.
    public var temperature: Double?
    public var topK = 0
    public var topP = 1.0
    /// Jacobi / SJD window (W, L); Lookahead window W; SJD2 window W.
    public var window: Int?
    /// SJD2: K, the denoising steps spread over the model's noise levels.
    public var levels: Int?
    /// SJD2: how noisy slots move toward clean (nil: by position).
    public var sjd2Schedule: SJD2Decoder.Schedule?
    /// Draft initialisation for Jacobi / SJD: random or repeat (repeat-last on text, repeat-left on
    /// an image grid); nil: the decoder's default (Jacobi repeat, SJD random).
    public var initRandom: Bool?
    public var coupling = false
    /// SJD: generated-token indices where the window is used (nil: everywhere).
    public var jacobiRange: Range<Int>?
    /// Lookahead n-gram size N and guess set G.
    public var ngram = 4
    public var guesses = 5
    public var poolFromPrompt = false
    public var cntp = CNTPParameters()

    public init(kind: DecoderKind) { self.kind = kind }

    public var entry: DecoderEntry { kind.entry }

    /// The bounds of every parameter, in one place: each message names the setting and its range.
    public static let windowRange = 1...1024
    public static let levelsRange = 1...1000
    public static let ngramRange = 2...16
    public static let guessesRange = 1...64
    public static let maxTrialsRange = 1...64
    public static let topKRange = 0...1_000_000
    public static let temperatureRange = 0.0...100.0
    /// A temperature above 0 is at least 0.01: below that, logits / T overflows to infinity.
    public static let samplingTemperatureRange = 0.01...100.0

    public func validate() throws {
        func check(_ v: Int?, _ r: ClosedRange<Int>, _ name: String) throws {
            if let v, !r.contains(v) { throw DecodeError.badSettings("\(name) must be in \(r.lowerBound)...\(r.upperBound), got \(v)") }
        }
        try check(window, Self.windowRange, "window")
        try check(levels, Self.levelsRange, "levels")
        try check(ngram, Self.ngramRange, "ngram")
        try check(guesses, Self.guessesRange, "guesses")
        try check(cntp.maxTrials, Self.maxTrialsRange, "max-trials")
        try check(topK, Self.topKRange, "top-k")
        if let t = temperature, !(t == 0 || Self.samplingTemperatureRange.contains(t)) {
            throw DecodeError.badSettings("temperature must be 0 (greedy) or in 0.01...100, got \(t)")
        }
        guard topP > 0 && topP <= 1 else { throw DecodeError.badSettings("top-p must be in (0, 1], got \(topP)") }
        if entry.greedyOnly, let t = temperature, t > 0 {
            throw DecodeError.badSettings("\(kind.rawValue) is greedy only (use temperature 0, or sjd to sample)")
        }
    }

    /// The sampler it decodes with on `domain`.
    public func sampler(on domain: ModelDomain) -> SamplerSettings {
        SamplerSettings(temperature: temperature ?? entry.defaultTemperature(on: domain), topK: topK, topP: topP)
    }

    /// Builds the decoder through its registry entry, after checking every bound.
    public func make(_ inputs: DecoderInputs) throws -> Decoder {
        try validate()
        if entry.greedyOnly && !inputs.settings.sampler.isGreedy {
            throw DecodeError.badSettings("\(kind.rawValue) is greedy only (use temperature 0, or sjd to sample)")
        }
        return try entry.build(self, inputs)
    }

    /// The draft initialisation it asks for: random, or repeat (repeat-left on a grid).
    func draftInit(defaultRandom: Bool, gridWidth: Int?) -> DraftInit {
        if initRandom ?? defaultRandom { return .random }
        if let w = gridWidth { return .repeatLeft(gridWidth: w) }
        return .repeatLast
    }
}
