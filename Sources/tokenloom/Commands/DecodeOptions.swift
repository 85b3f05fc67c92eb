// Options shared by `generate` and `bench decoders`: which decoder and its parameters, the sampler
// and the stop rule. They fill in one DecoderSpec; the registry holds the defaults and the bounds.
import ArgumentParser
import TokenloomModels
import TokenloomDecoding
import TokenloomSession
import TokenloomKernels

extension DecoderKind: ExpressibleByArgument {
    public init?(argument: String) {
        guard let e = try? DecoderRegistry.lookup(argument) else { return nil }
        self = e.kind
    }
    public static var allValueStrings: [String] { DecoderRegistry.names }
}

/// A comma-separated list of decoder names (`--decoders ar,sjd,sjd2`).
struct DecoderList: ExpressibleByArgument {
    var kinds: [DecoderKind]
    init?(argument: String) {
        let names = argument.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        var kinds: [DecoderKind] = []
        for n in names {
            guard let k = DecoderKind(argument: n) else { return nil }
            kinds.append(k)
        }
        self.kinds = kinds
    }
    init(_ kinds: [DecoderKind]) { self.kinds = kinds }
    static var allValueStrings: [String] { DecoderRegistry.names }
    var defaultValueDescription: String { kinds.map(\.rawValue).joined(separator: ",") }
}

struct DecoderOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Jacobi / SJD window (default 16); Lookahead window W (default 10); SJD2 window W (default 80).")
    var window: Int?

    @Option(parsing: .unconditional, help: "SJD2: K, denoising steps over the image model's noise levels (default 20).")
    var levels: Int?

    @Option(help: "Draft initialisation for jacobi / sjd: random or repeat (jacobi default repeat, sjd random).")
    var `init`: String?

    @Flag(help: "SJD: maximal-coupling refresh of rejected drafts (MC-SJD).")
    var coupling = false

    @Option(parsing: .unconditional, help: "Lookahead n-gram size N.")
    var ngram: Int = 4

    @Option(parsing: .unconditional, help: "Lookahead guess set G (pooled n-grams kept per token).")
    var guesses: Int = 5

    @Flag(help: "Lookahead: seed the n-gram pool with the prompt's n-grams.")
    var poolFromPrompt = false

    @Option(parsing: .unconditional, help: "CNTP: N_max, the most trials at one branch point.")
    var maxTrials: Int = 10

    @Flag(help: "CNTP: the paper's trial-count formula instead of the reference code's.")
    var paperFormula = false

    @Option(parsing: .unconditional, help: "Temperature (0 = greedy). Default: 1 for sjd/cntp and on image models (except jacobi), else 0.")
    var temperature: Double?

    @Option(parsing: .unconditional, help: "Top-k (0 = off).")
    var topK: Int = 0

    @Option(parsing: .unconditional, help: "Top-p (1 = off).")
    var topP: Double = 1

    @Option(parsing: .unconditional, help: "Seed of the decoder's random generator.")
    var seed: UInt64 = DecoderRegistry.defaultSeed

    @Option(parsing: .unconditional, help: "Most new tokens.")
    var maxTokens: Int = 64

    func validate() throws {
        if let i = `init`, i != "random" && i != "repeat" {
            throw ValidationError("--init must be random or repeat, got '\(i.escapingControlCharacters)'")
        }
        try check(maxTokens, in: Scenario.maxTokensRange, "--max-tokens")
        do { try spec(.ar).validate() } catch let e as DecodeError { throw ValidationError("--" + e.description) }
    }

    /// The spec these options describe for `kind`.
    func spec(_ kind: DecoderKind) -> DecoderSpec {
        var s = DecoderSpec(kind: kind)
        s.temperature = temperature; s.topK = topK; s.topP = topP
        s.window = window
        s.levels = levels
        s.initRandom = `init`.map { $0 == "random" }
        s.coupling = coupling
        s.ngram = ngram; s.guesses = guesses; s.poolFromPrompt = poolFromPrompt
        s.cntp.maxTrials = maxTrials; s.cntp.paperFormula = paperFormula
        return s
    }
}

/// Runs a decoder to the end; `onEvents` sees every step's events. Returns wall milliseconds.
/// Throws `Interrupted` between passes once SIGINT or SIGTERM arrived (see Interruption).
@discardableResult
func runDecoder(_ d: Decoder, onEvents: ([TraceEvent]) throws -> Void = { _ in }) throws -> Double {
    let t0 = MonotonicClock.ms()
    while !d.isFinished {
        try Interruption.check()
        let events: [TraceEvent]
        do { events = try d.step() } catch RemoteError.cancelled {
            // Ctrl-C cancelled a request to an inference server in flight: the same as between passes.
            try Interruption.check()
            throw RemoteError.cancelled
        }
        try onEvents(events)
    }
    return MonotonicClock.ms() - t0
}
