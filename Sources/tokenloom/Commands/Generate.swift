// `tokenloom generate`: decode a prompt with one decoder and print the text (or JSON with the
// stats every decoder reports); `--trace` writes the events as JSON Lines, `--samples N` runs N
// seeds and prints their token sequences, `--self-consistency N` votes over N CNTP/sampling chains.
import ArgumentParser
import Foundation
import TokenloomModels
import TokenloomDecoding

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "generate",
        abstract: "Decode a prompt with one decoder and print the result.")
    @OptionGroup var model: ModelOptions
    @OptionGroup var prompt: PromptOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var decoding: DecoderOptions
    @OptionGroup var image: ImageOutputOptions

    @Option(help: "The decoder (sjd2 on image models; cntp and lookahead on text).")
    var decoder: DecoderKind = .ar

    @Option(help: "Write the trace (JSON Lines) to this file.")
    var trace: String?

    @Option(parsing: .unconditional, help: "Run N generations with seeds s..s+N-1 and print their token sequences (JSON).")
    var samples: Int?

    @Option(parsing: .unconditional, help: "Run N chains with seeds s..s+N-1 and majority-vote their answers.")
    var selfConsistency: Int?

    @Option(help: "Answer pattern for --self-consistency (default: the last number).")
    var answerPattern: String = SelfConsistency.lastNumberPattern

    func validate() throws {
        if let n = samples { try check(n, in: 1...100_000, "--samples") }
        if let n = selfConsistency { try check(n, in: 1...10_000, "--self-consistency") }
        if samples != nil && (trace != nil || selfConsistency != nil) {
            throw ValidationError("--samples cannot be combined with --trace or --self-consistency")
        }
    }

    func run() throws {
        let spec = decoding.spec(decoder)
        // A served model's requests (loading included) are cancelled by Ctrl-C; a local load is short.
        if RemoteEndpoint.isRemote(model.model) { Interruption.install() }
        let target: ModelTarget
        do { target = try ModelTarget.load(model.model, threads: model.threads, checking: [spec]) }
        catch RemoteError.cancelled { try Interruption.check(); throw RemoteError.cancelled }
        if target.domain == .image { return try runImage(target, spec: spec) }
        if image.png != nil { throw CLIError.usage("--png needs an image model (builtin:emoji)") }
        let prepared = try target.prepare(prompt: prompt.prompt, chat: prompt.chat, maxNewTokens: decoding.maxTokens)
        guard case .text(_, let tokenizer) = target.content else { return }
        let promptTokens = prepared.tokens
        func make(_ seed: UInt64) throws -> Decoder { try target.makeDecoder(spec, for: prepared, seed: seed) }

        if let n = samples {
            var all: [[Int]] = []
            for i in 0..<n {
                let d = try make(decoding.seed &+ UInt64(i))
                try runDecoder(d)
                all.append(d.generated)
            }
            print(try jsonString(all))
            return
        }
        if let n = selfConsistency {
            var chains: [ChainResult] = []
            for i in 0..<n {
                let d = try make(decoding.seed &+ UInt64(i))
                try runDecoder(d)
                let text = tokenizer.decode(d.generated)
                let answer = try SelfConsistency.answer(in: text, pattern: answerPattern)
                chains.append(ChainResult(seed: decoding.seed &+ UInt64(i), tokens: d.generated, text: text, answer: answer))
            }
            let vote = SelfConsistency.vote(chains.map(\.answer))
            if output.json {
                print(try jsonString(SelfConsistencyResult(chains: chains, answer: vote)))
            } else {
                for c in chains { print("seed \(c.seed): \(c.answer ?? "(no answer)")") }
                print("answer: \(vote ?? "(none)")")
            }
            return
        }

        let d = try make(decoding.seed)
        // The trace is written as the run goes (see OutputFile: a regular file appears only when the
        // run succeeds). SIGINT / SIGTERM stop between passes: the text so far is printed, exit 128 + signal.
        let traceFile = try trace.map { try OutputFile($0, what: "trace file") }
        let wall: Double
        do {
            if let f = traceFile {
                try f.write(Data((try jsonString(TraceHeader(decoder: d.name, prompt_tokens: promptTokens)) + "\n").utf8))
            }
            Interruption.install()
            wall = try runDecoder(d) { events in
                guard let f = traceFile else { return }
                try f.write(Data(try events.map { try TraceCoding.line($0) + "\n" }.joined().utf8))
            }
            try traceFile?.commit()
        } catch let e as Interrupted {
            traceFile?.abandon()
            if !output.json { print(tokenizer.decode(d.generated)) }
            throw Interrupted(signal: e.signal,
                              detail: "after \(d.generated.count) tokens in \(d.stats.forwardPasses) forward passes (\(d.name))")
        } catch {
            traceFile?.abandon()
            throw error
        }
        let result = GenerateResult(decoder: decoder.rawValue, promptTokens: promptTokens, tokens: d.generated,
                                    text: tokenizer.decode(d.generated), stats: d.stats, wallMs: wall,
                                    finishReason: d.finishReason,
                                    branches: (d as? CNTPDecoder)?.branches.map { BranchJSON($0, tokenizer) },
                                    served: target.remoteModel.map { ServedJSON($0, decoder: d) })
        if output.json {
            print(try jsonString(result))
        } else {
            print(result.text)
            fputs(result.summary + "\n", stderr)
            if let served = result.served {
                fputs("served by \(served.server), \(served.requests) requests, median \(String(format: "%.1f", served.request_ms_median)) ms each; \(served.distributions)\n", stderr)
            }
        }
    }
}

/// The statistics every `generate --json` result carries, under the keys the issues define, in one place.
func encodeRunStats(_ stats: DecodeStats, wallMs: Double, tokens: Int, finishReason: String?, to encoder: Encoder) throws {
    enum Key: String, CodingKey {
        case forward_passes, tokens_per_pass, wall_ms, tokens_per_s, drafted, accepted, acceptance_rate, finish_reason
    }
    var c = encoder.container(keyedBy: Key.self)
    try c.encode(stats.forwardPasses, forKey: .forward_passes)
    try c.encode(stats.tokensPerPass, forKey: .tokens_per_pass)
    try c.encode(wallMs, forKey: .wall_ms)
    try c.encode(wallMs > 0 ? Double(tokens) / (wallMs / 1000) : 0, forKey: .tokens_per_s)
    try c.encode(stats.drafted, forKey: .drafted)
    try c.encode(stats.accepted, forKey: .accepted)
    try c.encode(stats.acceptanceRate, forKey: .acceptance_rate)
    try c.encodeIfPresent(finishReason, forKey: .finish_reason)
}

struct GenerateResult: Encodable {
    let decoder: String
    let promptTokens: [Int]
    let tokens: [Int]
    let text: String
    let stats: DecodeStats
    let wallMs: Double
    let finishReason: String?
    let branches: [BranchJSON]?
    var served: ServedJSON? = nil

    var tokensPerSecond: Double { wallMs > 0 ? Double(tokens.count) / (wallMs / 1000) : 0 }

    enum Key: String, CodingKey {
        case decoder, prompt_tokens, tokens, text, branches, served
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(decoder, forKey: .decoder)
        try c.encode(promptTokens, forKey: .prompt_tokens)
        try c.encode(tokens, forKey: .tokens)
        try c.encode(text, forKey: .text)
        try encodeRunStats(stats, wallMs: wallMs, tokens: tokens.count, finishReason: finishReason, to: encoder)
        try c.encodeIfPresent(branches, forKey: .branches)
        try c.encodeIfPresent(served, forKey: .served)
    }

    var summary: String {
        let f = { (x: Double) in String(format: "%.2f", x) }
        return "\(decoder): \(tokens.count) tokens, \(stats.forwardPasses) forward passes, \(f(stats.tokensPerPass)) tokens/pass, "
            + "\(f(wallMs)) ms, \(f(tokensPerSecond)) tokens/s, accepted \(stats.accepted)/\(stats.drafted)"
    }
}

struct BranchJSON: Encodable {
    struct Trial: Encodable { let tokens: [Int]; let text: String; let perplexity: Double }
    let position: Int
    let entropy: Double
    let trials: [Trial]
    let chosen: Int

    init(_ b: CNTPBranch, _ tokenizer: Tokenizing) {
        position = b.position; entropy = b.entropy; chosen = b.chosen
        trials = b.trials.map { Trial(tokens: $0.tokens, text: tokenizer.decode($0.tokens), perplexity: $0.perplexity) }
    }
}

/// The first line of a trace file: who wrote it, and the prompt (so a replay can show it).
struct TraceHeader: Encodable {
    var trace = "tokenloom"
    var version = 1
    let decoder: String
    let prompt_tokens: [Int]
}

struct ChainResult: Encodable { let seed: UInt64; let tokens: [Int]; let text: String; let answer: String? }
struct SelfConsistencyResult: Encodable { let chains: [ChainResult]; let answer: String? }

func jsonString<T: Encodable>(_ value: T) throws -> String {
    let e = JSONEncoder()
    e.outputFormatting = [.sortedKeys]
    return String(decoding: try e.encode(value), as: UTF8.self)
}

/// What a run through an inference server was, and how far to trust its numbers.
struct ServedJSON: Encodable {
    let server: String
    let model: String
    let top_logprobs: Int
    /// "exact" (argmax decoders) or what is a top-K approximation.
    let distributions: String
    let requests: Int
    let request_ms_median: Double

    init(_ m: RemoteModel, decoder d: Decoder) {
        server = "\(m.endpoint.host):\(m.endpoint.port) (\(m.flavour.rawValue))"
        model = m.endpoint.model
        top_logprobs = m.options.topLogprobs
        distributions = servedDistributions(m, decoder: d)
        requests = m.requestMs.count
        let sorted = m.requestMs.sorted()
        request_ms_median = sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }
}

/// One sentence on what a served model's top K makes of this decoder's numbers.
func servedDistributions(_ m: RemoteModel, decoder d: Decoder) -> String {
    let k = m.options.topLogprobs
    if d is CNTPDecoder { return "top-\(k) approximation: entropies are lower bounds from the top \(k); trials sample inside it" }
    guard let sampler = d.sampler else { return "top-\(k) approximation" }
    if sampler.isGreedy { return "exact: the argmax is always among the top \(k)" }
    if sampler.isUnwarped {
        return "top-\(k) approximation: acceptance tests use each draft's exact p; new tokens and resamples are drawn inside the top \(k)"
    }
    return "top-\(k) approximation: temperature and top-p are applied inside the top \(k), renormalised"
}
