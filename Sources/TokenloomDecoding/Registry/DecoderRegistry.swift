// DecoderRegistry: one table row per decoder kind — its names, which models it runs on, whether it
// samples by default, its defaults and documented parameters, and how it is built. The CLI, scenario
// files, the explorer and the benchmarks all read this table; nothing else lists decoders.
// Adding a decoder: its file in Decoders/, a case in DecoderKind, a row here, its tests
// (see Decoders/README.md).
import TokenloomModels

/// The decoders tokenloom knows. The raw value is the name used on the command line and in files.
public enum DecoderKind: String, CaseIterable, Sendable {
    case ar, jacobi, jacobiSample = "jacobi-sample", sjd, sjdAcceptAll = "sjd-accept-all", sjd2, cntp, lookahead

    /// This kind's row of the registry.
    public var entry: DecoderEntry { DecoderRegistry.entry(self) }
}

/// The kinds of model a decoder runs on.
public enum ModelDomain: String, Sendable, CaseIterable {
    case text, image

    var article: String { self == .text ? "a text model" : "an image model" }
}

/// What a decoder is built from: the model (already conditioned, for an image model), the prompt
/// tokens, the shared settings, CNTP's stop set and, on an image grid, its width.
public struct DecoderInputs {
    public var model: CausalModel
    public var prompt: [Int]
    public var settings: DecodeSettings
    public var punctuation: Set<Int>
    public var gridWidth: Int?

    public init(model: CausalModel, prompt: [Int], settings: DecodeSettings, punctuation: Set<Int> = [],
                gridWidth: Int? = nil) {
        self.model = model; self.prompt = prompt; self.settings = settings
        self.punctuation = punctuation; self.gridWidth = gridWidth
    }
}

public struct DecoderEntry: Sendable {
    public let kind: DecoderKind
    /// The title panes and reports show ("SJD").
    public let title: String
    /// Other names accepted on the command line and in files (any case).
    public let aliases: [String]
    /// One line for `--help` and the docs.
    public let summary: String
    public let domains: Set<ModelDomain>
    /// Why it does not run on the other kind of model (for the one refusal message).
    public let domainReason: String
    /// Greedy only: its output is greedy AR's, so a temperature above 0 is refused.
    public let greedyOnly: Bool
    /// Samples (temperature 1) by default on text; on an image model every decoder that is not
    /// greedy-only samples by default, because greedy decoding collapses the image model to flat blobs.
    public let samplesOnText: Bool
    /// The DecoderSpec fields it reads besides the sampler, with their defaults in words.
    public let parameters: [String]
    let build: @Sendable (DecoderSpec, DecoderInputs) throws -> Decoder

    public var name: String { kind.rawValue }

    /// The temperature it decodes at when none is given.
    public func defaultTemperature(on domain: ModelDomain) -> Double {
        if greedyOnly { return 0 }
        return domain == .image || samplesOnText ? DecoderRegistry.samplingTemperature : 0
    }

    /// Refuses a model it does not run on, in the one sentence every command and file shares.
    public func check(_ domain: ModelDomain) throws {
        guard domains.contains(domain) else {
            let others = DecoderRegistry.entries.filter { $0.domains.contains(domain) }.map(\.name)
            throw DecodeError.badSettings("\(name) does not run on \(domain.article): \(domainReason); "
                                          + "there use \(others.joined(separator: ", "))")
        }
    }
}

public enum DecoderRegistry {
    /// The seed every command, scenario and the explorer use when none is given.
    public static let defaultSeed: UInt64 = 42
    /// The temperature of a sampling decoder when none is given.
    public static let samplingTemperature = 1.0

    public static let entries: [DecoderEntry] = DecoderKind.allCases.map(row)

    /// Every accepted name, canonical names first (for --help and messages).
    public static var names: [String] { entries.map(\.name) }

    public static func entry(_ kind: DecoderKind) -> DecoderEntry { entries[DecoderKind.allCases.firstIndex(of: kind)!] }

    /// The entry `name` stands for (its name, title or an alias, any case).
    public static func lookup(_ name: String) throws -> DecoderEntry {
        let n = String(name.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed()).lowercased()
        if let e = entries.first(where: { $0.name == n || $0.title.lowercased() == n || $0.aliases.contains(n) }) { return e }
        throw DecodeError.badSettings("unknown decoder '\(name.escapingControlCharacters)' (choose from \(names.joined(separator: ", ")))")
    }

    /// Greedy and sampling Jacobi are one decoder: the temperature chooses.
    private static func jacobi(_ s: DecoderSpec, _ i: DecoderInputs) throws -> Decoder {
        try JacobiDecoder(model: i.model, prompt: i.prompt, settings: i.settings, window: s.window ?? 16,
                          initScheme: s.draftInit(defaultRandom: false, gridWidth: i.gridWidth))
    }

    /// A row of the table. The switch is exhaustive, so a new DecoderKind does not compile without one.
    private static func row(_ kind: DecoderKind) -> DecoderEntry {
        switch kind {
        case .ar:
            return DecoderEntry(
                kind: .ar, title: "AR", aliases: ["autoregressive"],
                summary: "one token per forward pass, greedy (text default) or sampled (images)",
                domains: [.text, .image], domainReason: "", greedyOnly: false, samplesOnText: false,
                parameters: []) { _, i in
                try AutoregressiveDecoder(model: i.model, prompt: i.prompt, settings: i.settings)
            }
        case .jacobi:
            return DecoderEntry(
                kind: .jacobi, title: "Jacobi", aliases: [],
                summary: "Jacobi iteration over a window of guesses: greedy (the same output as greedy AR), "
                    + "or sampling at a temperature above 0",
                domains: [.text, .image], domainReason: "", greedyOnly: false, samplesOnText: false,
                parameters: ["window (16)", "init (repeat)"], build: jacobi)
        case .jacobiSample:
            return DecoderEntry(
                kind: .jacobiSample, title: "Sampling Jacobi", aliases: ["sampling-jacobi"],
                summary: "Jacobi that samples every window position each pass and keeps a draft only if it equals "
                    + "the fresh sample: exact, but near one token per pass (the baseline SJD improves on)",
                domains: [.text, .image], domainReason: "", greedyOnly: false, samplesOnText: true,
                parameters: ["window (16)", "init (repeat)"], build: jacobi)
        case .sjd:
            return DecoderEntry(
                kind: .sjd, title: "SJD", aliases: ["speculative-jacobi"],
                summary: "speculative Jacobi decoding: drafts accepted with probability min(1, p/q); lossless sampling",
                domains: [.text, .image], domainReason: "", greedyOnly: false, samplesOnText: true,
                parameters: ["window (16)", "init (random)", "coupling (off)"]) { s, i in
                try SJDDecoder(model: i.model, prompt: i.prompt, settings: i.settings, window: s.window ?? 16,
                               initScheme: s.draftInit(defaultRandom: true, gridWidth: i.gridWidth),
                               coupling: s.coupling, jacobiRange: s.jacobiRange)
            }
        case .sjdAcceptAll:
            return DecoderEntry(
                kind: .sjdAcceptAll, title: "SJD accept-all", aliases: [],
                summary: "WRONG ON PURPOSE, for teaching: SJD that keeps every draft sampled in an earlier pass without the test; "
                    + "faster, and not distributed as AR (never a default)",
                domains: [.text, .image], domainReason: "", greedyOnly: false, samplesOnText: true,
                parameters: ["window (16)", "init (random)"]) { s, i in
                let d = try SJDDecoder(model: i.model, prompt: i.prompt, settings: i.settings, window: s.window ?? 16,
                                       initScheme: s.draftInit(defaultRandom: true, gridWidth: i.gridWidth))
                d.acceptance = .acceptSampled
                return d
            }
        case .sjd2:
            return DecoderEntry(
                kind: .sjd2, title: "SJD2", aliases: ["sjd-denoising"],
                summary: "speculative Jacobi-denoising: a noise-initialised window denoised into drafts (image models)",
                domains: [.image], domainReason: "it feeds noisy embeddings to a model fine-tuned for them (builtin:emoji)",
                greedyOnly: false, samplesOnText: true,
                parameters: ["window (80)", "levels (20)", "schedule (position)"]) { s, i in
                guard let image = i.model as? ImageARModel else {
                    throw DecodeError.badSettings("sjd2 does not run on a text model: it needs an image model (builtin:emoji)")
                }
                return try SJD2Decoder(model: image, prompt: i.prompt, settings: i.settings, window: s.window ?? 80,
                                       steps: s.levels ?? 20, schedule: s.sjd2Schedule ?? .byPosition)
            }
        case .cntp:
            return DecoderEntry(
                kind: .cntp, title: "CNTP", aliases: ["cautious"],
                summary: "cautious next-token prediction: at uncertain steps, trials to the next punctuation, lowest perplexity wins",
                domains: [.text], domainReason: "its trials end at punctuation, and an image grid has none",
                greedyOnly: false, samplesOnText: true,
                parameters: ["max-trials (10)", "paper-formula (off)"]) { s, i in
                try CNTPDecoder(model: i.model, prompt: i.prompt, settings: i.settings, punctuation: i.punctuation,
                                parameters: s.cntp)
            }
        case .lookahead:
            return DecoderEntry(
                kind: .lookahead, title: "Lookahead", aliases: [],
                summary: "lookahead decoding: Jacobi lookahead branch plus n-gram verification; greedy only",
                domains: [.text], domainReason: "it guesses from text n-grams",
                greedyOnly: true, samplesOnText: false,
                parameters: ["window (10)", "ngram (4)", "guesses (5)", "pool-from-prompt (off)"]) { s, i in
                try LookaheadDecoder(model: i.model, prompt: i.prompt, settings: i.settings, W: s.window ?? 10,
                                     N: s.ngram, G: s.guesses, poolFromPrompt: s.poolFromPrompt)
            }
        }
    }
}
