// `tokenloom bench decoders`: forward passes, tokens per pass and wall time per decoder, with
// speed-up over AR measured in the same run (AR always runs first, as the baseline).
//
// Prompt file: one prompt per line, `category: text`; `\n` in the text is a newline; blank lines
// and lines starting with `#` are skipped.
import ArgumentParser
import Foundation
import TokenloomModels
import TokenloomDecoding

struct BenchDecodersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "decoders",
        abstract: "Compare decoders against AR on a prompt file.")
    @OptionGroup var model: ModelOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var decoding: DecoderOptions
    @OptionGroup var image: ImageBenchOptions

    @Option(help: ArgumentHelp("Comma-separated decoders to compare with AR: \(DecoderRegistry.names.joined(separator: ", ")) "
                               + "(default jacobi,lookahead,sjd; on image models sjd,sjd-repeat,sjd2, and also sjd-random, sjd2-pass, sjd2-position)."))
    var decoders: String?

    @Option(help: "The prompt file (see examples/prompts.txt).")
    var prompts: String

    @Flag(help: "Wrap each prompt in the model's chat template.")
    var chat = false

    struct Prompt { let category: String; let text: String }

    /// AR first (the baseline), then each named decoder once.
    static func textSpecs(_ list: String, _ options: DecoderOptions) throws -> [DecoderSpec] {
        var kinds = [DecoderKind.ar]
        for name in list.split(separator: ",") where !name.allSatisfy({ $0 == " " }) {
            let k = try DecoderRegistry.lookup(String(name)).kind
            if !kinds.contains(k) { kinds.append(k) }
        }
        return kinds.map(options.spec)
    }

    static func readPrompts(_ path: String) throws -> [Prompt] {
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError.data("cannot read the prompt file \(path)") }
        var out: [Prompt] = []
        for (i, raw) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":") else {
                throw CLIError.data("\(path):\(i + 1): expected 'category: prompt'")
            }
            let text = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                .replacingOccurrences(of: "\\n", with: "\n")
            out.append(Prompt(category: String(line[..<colon]), text: text))
        }
        if out.isEmpty { throw CLIError.data("\(path): no prompts") }
        return out
    }

    struct Row: Encodable {
        let decoder: String, category: String, prompt: Int
        let forward_passes: Int, tokens: Int, tokens_per_pass: Double, wall_ms: Double
        let drafted: Int, accepted: Int
        let matches_ar: Bool?
    }

    struct Summary: Encodable {
        let decoder: String
        let forward_passes: Int, tokens: Int, tokens_per_pass: Double, wall_ms: Double, ms_per_pass: Double, tokens_per_s: Double
        let speedup_vs_ar: Double, acceptance_rate: Double
        let matches_ar: Bool?
        let by_category: [String: Double]              // tokens per pass
    }

    func run() throws {
        if try ModelTarget.domain(of: model.model) == .image {
            return try runImage(try ModelTarget.load(model.model, threads: model.threads), options: image)
        }
        let specs = try Self.textSpecs(decoders ?? "jacobi,lookahead,sjd", decoding)
        let target = try ModelTarget.load(model.model, threads: model.threads, checking: specs)
        if image.seeds != 1 { throw CLIError.usage("--seeds is for image models") }
        let list = try Self.readPrompts(prompts)
        var rows: [Row] = []
        for (pi, p) in list.enumerated() {
            let prepared = try target.prepare(prompt: p.text, chat: chat, maxNewTokens: decoding.maxTokens)
            var arGreedy: [Int]?
            for spec in specs {
                let d = try target.makeDecoder(spec, for: prepared, seed: decoding.seed)
                let greedy = spec.sampler(on: .text).isGreedy
                let wall = try runDecoder(d)
                if spec.kind == .ar && greedy { arGreedy = d.generated }
                let matches: Bool? = greedy ? arGreedy.map { $0 == d.generated } : nil
                rows.append(Row(decoder: spec.kind.rawValue, category: p.category, prompt: pi, forward_passes: d.stats.forwardPasses,
                                tokens: d.generated.count, tokens_per_pass: d.stats.tokensPerPass, wall_ms: wall,
                                drafted: d.stats.drafted, accepted: d.stats.accepted, matches_ar: matches))
                if !output.json {
                    fputs("prompt \(pi) [\(p.category)] \(spec.kind.rawValue): \(d.generated.count) tokens, \(d.stats.forwardPasses) passes, "
                          + String(format: "%.0f ms", wall) + "\n", stderr)
                }
            }
        }
        let arRows = rows.filter { $0.decoder == "ar" }
        let arRate = Double(arRows.reduce(0) { $0 + $1.tokens }) / max(arRows.reduce(0) { $0 + $1.wall_ms }, 1e-9)
        var summaries: [Summary] = []
        for k in specs.map(\.kind) {
            let r = rows.filter { $0.decoder == k.rawValue }
            let passes = r.reduce(0) { $0 + $1.forward_passes }, toks = r.reduce(0) { $0 + $1.tokens }
            let wall = r.reduce(0) { $0 + $1.wall_ms }
            let drafted = r.reduce(0) { $0 + $1.drafted }, accepted = r.reduce(0) { $0 + $1.accepted }
            var byCat: [String: Double] = [:]
            for c in Set(r.map(\.category)) {
                let rc = r.filter { $0.category == c }
                byCat[c] = Double(rc.reduce(0) { $0 + $1.tokens }) / Double(max(rc.reduce(0) { $0 + $1.forward_passes }, 1))
            }
            let matches = r.compactMap(\.matches_ar)
            summaries.append(Summary(decoder: k.rawValue, forward_passes: passes, tokens: toks,
                                     tokens_per_pass: Double(toks) / Double(max(passes, 1)), wall_ms: wall,
                                     ms_per_pass: wall / Double(max(passes, 1)),
                                     tokens_per_s: Double(toks) / max(wall / 1000, 1e-9),
                                     speedup_vs_ar: (Double(toks) / max(wall, 1e-9)) / max(arRate, 1e-12),
                                     acceptance_rate: drafted == 0 ? 0 : Double(accepted) / Double(drafted),
                                     matches_ar: matches.isEmpty ? nil : matches.allSatisfy { $0 }, by_category: byCat))
        }
        if output.json {
            struct Out: Encodable { let model: String; let prompts: Int; let max_tokens: Int; let summary: [Summary]; let runs: [Row] }
            print(try jsonString(Out(model: target.displayName, prompts: list.count, max_tokens: decoding.maxTokens,
                                     summary: summaries, runs: rows)))
        } else {
            print("decoder     passes  tokens  tok/pass   wall ms  ms/pass    tok/s  speed-up  accept  == AR")
            for s in summaries {
                let name = s.decoder.padding(toLength: 10, withPad: " ", startingAt: 0)
                let same = s.matches_ar.map { $0 ? "yes" : "NO" } ?? "-"
                print(name + String(format: " %7d %7d %9.2f %9.0f %8.1f %8.1f %8.2fx %7.2f  ", s.forward_passes, s.tokens,
                                    s.tokens_per_pass, s.wall_ms, s.ms_per_pass, s.tokens_per_s, s.speedup_vs_ar, s.acceptance_rate) + same)
            }
            if let m = target.remoteModel {
                print("served by \(m.endpoint.host):\(m.endpoint.port) (\(m.flavour.rawValue)), top \(m.options.topLogprobs) log-probabilities; "
                      + "ms/pass is the whole round trip (the server reports no time of its own)")
            }
        }
    }
}
