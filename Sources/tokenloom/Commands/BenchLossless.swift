// `tokenloom bench lossless`: does each decoder draw from AR's distribution? Every decoder runs to
// its end over N seeds (its own seed stream); at each generated position its tokens are tested
// against AR's (chi-square, rare tokens pooled), the positions Holm-corrected into one verdict per
// decoder, and the first position also against the model's exact distribution.
import ArgumentParser
import Foundation
import TokenloomDecoding
import TokenloomKernels
import TokenloomSession

struct BenchLosslessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "lossless",
        abstract: "Test each decoder's output distribution against AR's over N seeds.")
    @OptionGroup var model: ModelOptions
    @OptionGroup var prompt: PromptOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var decoding: DecoderOptions

    @Option(help: ArgumentHelp("Comma-separated decoders, AR among them (\(DecoderRegistry.names.joined(separator: ", ")))."))
    var decoders: String = "ar,sjd,sjd2,sjd-accept-all"

    @Option(parsing: .unconditional, help: "Runs of each decoder (seeds).")
    var samples: Int = 200

    @Option(parsing: .unconditional, help: "A decoder differs from AR when its Holm-corrected p is below this.")
    var alpha: Double = 0.001

    static let samplesRange = 20...100_000

    func validate() throws {
        try check(samples, in: Self.samplesRange, "--samples")
        guard alpha > 0, alpha < 1 else { throw ValidationError("--alpha must be in (0, 1), got \(alpha)") }
    }

    struct PositionJSON: Encodable { let position: Int, chi2: Double, df: Int, p: Double }
    struct DecoderJSON: Encodable {
        let decoder: String, runs: Int, seconds: Double, tokens_per_pass: Double
        let holm_p: Double, differs: Bool, exact_first_p: Double?
        let positions: [PositionJSON]
    }
    struct ReportJSON: Encodable {
        let model: String, prompt: String, samples: Int, alpha: Double, temperature: Double, seconds: Double
        let decoders: [DecoderJSON]
    }

    func run() throws {
        Interruption.install()
        var panes: [ScenarioPane] = []
        for name in decoders.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
            let kind = try DecoderRegistry.lookup(name).kind
            var spec = decoding.spec(kind)
            // Lossless is a claim about sampling: every decoder samples at one temperature.
            spec.temperature = decoding.temperature ?? DecoderRegistry.samplingTemperature
            panes.append(ScenarioPane(spec))
        }
        guard panes.contains(where: { $0.spec.kind == .ar }) else {
            throw CLIError.usage("--decoders must include ar, the reference every other decoder is tested against")
        }
        var scenario = Scenario(modelRef: model.model, prompt: prompt.prompt, chat: prompt.chat, decoders: panes,
                                seed: decoding.seed, maxNewTokens: decoding.maxTokens)
        scenario.threads = model.threads
        let t0 = MonotonicClock.seconds()
        let loaded = try ScenarioFactory.load(scenario)
        var last = -1.0
        let sample = try Distribution.run(loaded, runs: samples) { done, total in
            let now = MonotonicClock.seconds()
            if !output.json, isatty(2) != 0, now - last > 1 || done == total {
                last = now
                let eta = done > 0 ? (now - t0) / Double(done) * Double(total - done) : 0
                FileHandle.standardError.write("\r\(done)/\(total) runs, \(Int(now - t0)) s, about \(Int(eta)) s left   ".data(using: .utf8)!)
                if done == total { FileHandle.standardError.write("\n".data(using: .utf8)!) }
            }
            return receivedSignal == 0
        }
        try Interruption.check()
        let verdicts = Distribution.verdicts(sample)
        let total = MonotonicClock.seconds() - t0
        let ref = verdicts[sample.reference].name
        let temperature = scenario.decoders[0].spec.temperature ?? 1
        if output.json {
            let report = ReportJSON(model: model.model, prompt: prompt.prompt, samples: sample.runs, alpha: alpha, temperature: temperature, seconds: total,
                decoders: verdicts.map { v in
                    DecoderJSON(decoder: v.name, runs: v.runs, seconds: v.seconds, tokens_per_pass: v.tokensPerPass, holm_p: v.holmP,
                                differs: v.holmP < alpha, exact_first_p: v.exactFirstP,
                                positions: v.tests.map { PositionJSON(position: $0.position, chi2: $0.chi2, df: $0.df, p: $0.p) })
                })
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try enc.encode(report), as: UTF8.self))
            return
        }
        print("\(model.model) · '\(prompt.prompt.escapingControlCharacters)' · T \(temperature) · N = \(sample.runs) runs per decoder · \(String(format: "%.1f", total)) s")
        for v in verdicts {
            let first = v.exactFirstP.map { "first token vs exact p = \(LosslessVerdict.pText($0))" } ?? "first token vs exact: too few runs"
            print("\(v.name.padding(toLength: 16, withPad: " ", startingAt: 0)) \(String(format: "%5.2f", v.tokensPerPass)) tok/pass  \(String(format: "%7.1f", v.seconds)) s  \(first)")
            guard !v.tests.isEmpty else { print("    the reference"); continue }
            print("    \(v.sentence(reference: ref, alpha: alpha)); \(v.tests.count) positions tested, \(v.tests.filter { $0.p < 0.01 }.count) with p < 0.01")
            let worst = v.tests.sorted { $0.p < $1.p }.prefix(3)
            print("    smallest: " + worst.map { "@\($0.position) p = \(LosslessVerdict.pText($0.p)) (chi2 \(String(format: "%.1f", $0.chi2)), df \($0.df))" }.joined(separator: ", "))
        }
    }
}
