// Options shared by `generate` and `bench decoders`: which decoder, its parameters, the sampler and
// the stop rule; and the loading of a model with its tokenizer.
import ArgumentParser
import TokenloomModels
import TokenloomDecoding

struct DecoderOptions: ParsableArguments {
    @Option(help: "Jacobi / SJD window (default 16); Lookahead window W (default 10); SJD2 window W (default 80).")
    var window: Int?

    @Option(help: "SJD2: K, denoising steps over the image model's noise levels (default 20).")
    var levels: Int?

    @Option(help: "Draft initialisation for jacobi / sjd: random or repeat (jacobi default repeat, sjd random).")
    var `init`: String?

    @Option(help: "Image grid width: makes --init repeat the spatial repeat-left scheme.")
    var gridWidth: Int?

    @Flag(help: "SJD: maximal-coupling refresh of rejected drafts (MC-SJD).")
    var coupling = false

    @Option(help: "Lookahead n-gram size N.")
    var ngram: Int = 4

    @Option(help: "Lookahead guess set G (pooled n-grams kept per token).")
    var guesses: Int = 5

    @Flag(help: "Lookahead: seed the n-gram pool with the prompt's n-grams.")
    var poolFromPrompt = false

    @Option(help: "CNTP: N_max, the most trials at one branch point.")
    var maxTrials: Int = 10

    @Flag(help: "CNTP: the paper's trial-count formula instead of the reference code's.")
    var paperFormula = false

    @Option(help: "Temperature (0 = greedy). Default: 0 for ar/jacobi/lookahead, 1 for sjd/cntp.")
    var temperature: Double?

    @Option(help: "Top-k (0 = off).")
    var topK: Int = 0

    @Option(help: "Top-p (1 = off).")
    var topP: Double = 1

    @Option(help: "Seed of the decoder's random generator.")
    var seed: UInt64 = 0

    @Option(help: "Most new tokens.")
    var maxTokens: Int = 64

    func validate() throws {
        if let w = window, w < 1 { throw ValidationError("--window must be at least 1, got \(w)") }
        if let i = `init`, i != "random" && i != "repeat" { throw ValidationError("--init must be random or repeat, got '\(i)'") }
        if let k = levels, k < 1 { throw ValidationError("--levels must be at least 1, got \(k)") }
        if let g = gridWidth, g < 1 { throw ValidationError("--grid-width must be at least 1, got \(g)") }
        if ngram < 2 { throw ValidationError("--ngram must be at least 2, got \(ngram)") }
        if guesses < 1 { throw ValidationError("--guesses must be at least 1, got \(guesses)") }
        if maxTrials < 1 { throw ValidationError("--max-trials must be at least 1, got \(maxTrials)") }
        if maxTokens < 1 { throw ValidationError("--max-tokens must be at least 1, got \(maxTokens)") }
        if let t = temperature, !(t >= 0) { throw ValidationError("--temperature must be >= 0, got \(t)") }
        if topK < 0 { throw ValidationError("--top-k must be >= 0, got \(topK)") }
        if !(topP > 0 && topP <= 1) { throw ValidationError("--top-p must be in (0, 1], got \(topP)") }
    }

    func spec(_ kind: DecoderKind) -> DecoderSpec {
        var s = DecoderSpec(kind: kind)
        s.window = window
        s.levels = levels
        s.initRandom = `init`.map { $0 == "random" }
        s.gridWidth = gridWidth
        s.coupling = coupling
        s.ngram = ngram; s.guesses = guesses; s.poolFromPrompt = poolFromPrompt
        s.cntp.maxTrials = maxTrials; s.cntp.paperFormula = paperFormula
        return s
    }

    func settings(_ kind: DecoderKind, seed: UInt64, tokenizer: Tokenizing) -> DecodeSettings {
        let t = temperature ?? (kind == .sjd || kind == .cntp ? 1 : 0)
        return DecodeSettings(maxNewTokens: maxTokens, sampler: SamplerSettings(temperature: t, topK: topK, topP: topP),
                              seed: seed, isEnd: { tokenizer.isEndOfGeneration($0) })
    }

    static func kind(_ name: String) throws -> DecoderKind {
        guard let k = DecoderKind(rawValue: name) else {
            throw CLIError.usage("unknown decoder '\(name)' (choose from \(DecoderKind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return k
    }
}

/// A loaded model with its tokenizer.
struct LoadedModel {
    let model: CausalModel
    let tokenizer: any GGUFTokenizer

    init(_ options: ModelOptions) throws {
        let path: String
        do { path = try ModelStore.resolve(options.model) } catch { throw CLIError.data("\(error)") }
        model = try ModelLoader.load(path: path, threads: options.threads)
        tokenizer = try TokenizerLoader.load(from: try GGUFFile(path: path))
    }

    /// The prompt's tokens; throws when they plus `maxNew` do not fit the model's context.
    func promptTokens(_ text: String, chat: Bool, maxNew: Int) throws -> [Int] {
        let t = tokenizer.encode(chat ? tokenizer.chatTemplate.prompt(user: text) : text, addSpecial: true)
        guard t.count + maxNew <= model.contextLength else {
            throw CLIError.usage("the prompt (\(t.count) tokens) plus \(maxNew) new tokens does not fit the context of \(model.contextLength)")
        }
        return t
    }
}

/// Runs a decoder to the end; `onEvents` sees every step's events. Returns wall milliseconds.
@discardableResult
func runDecoder(_ d: Decoder, onEvents: ([TraceEvent]) throws -> Void = { _ in }) throws -> Double {
    let t0 = wallMs()
    while !d.isFinished { try onEvents(try d.step()) }
    return wallMs() - t0
}

func wallMs() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) * 1000 + Double(ts.tv_nsec) / 1e6
}

#if canImport(Glibc)
import Glibc
#endif
