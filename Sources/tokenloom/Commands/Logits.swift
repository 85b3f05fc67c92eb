// `tokenloom logits`: a prompt's token ids, the model's top-K next tokens (id, text, logit,
// probability) and the entropy in nats of the whole next-token distribution.
import ArgumentParser
import Foundation
import TokenloomKernels
import TokenloomModels
import TokenloomDecoding

struct LogitsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logits",
        abstract: "Show a prompt's tokens and the model's top next tokens.")
    @OptionGroup var model: ModelOptions
    @OptionGroup var prompt: PromptOptions
    @OptionGroup var output: OutputOptions

    @Option(parsing: .unconditional, help: "How many of the most likely next tokens to show.")
    var top: Int = 10

    func validate() throws {
        try check(top, in: 1...1_000_000, "--top")
    }

    struct Entry: Encodable { let id: Int; let text: String; let logit: Float; let prob: Float }
    struct Report: Encodable { let prompt_tokens: [Int]; let top: [Entry]; let entropy: Double }

    func run() throws {
        let target = try ModelTarget.load(model.model, threads: model.threads)
        guard case .text(let m, let tok) = target.content else {
            throw CLIError.usage("logits shows a text model's next tokens; \(model.model) is an image model")
        }
        let tokens = try target.prepare(prompt: prompt.prompt, chat: prompt.chat, maxNewTokens: 1).tokens
        let all = try m.forward(tokens: tokens, cache: m.makeCache())
        guard all.allFinite else { throw ModelError.nonFiniteLogits(model: m.displayName) }
        let logits = all.row(tokens.count - 1)
        let probs = Distribution.softmax(logits)
        let order = logits.indices.sorted { (a: Int, b: Int) -> Bool in
            let la = logits[a], lb = logits[b]
            return la > lb || (la == lb && a < b)
        }
        let entries = order.prefix(top).map {
            Entry(id: $0, text: tok.decode([$0]), logit: logits[$0], prob: probs[$0])
        }
        let report = Report(prompt_tokens: tokens, top: entries, entropy: Distribution.entropy(logits))
        if output.json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys]
            print(String(decoding: try enc.encode(report), as: UTF8.self))
            return
        }
        print("prompt tokens (\(tokens.count)): \(tokens.map(String.init).joined(separator: " "))")
        print("entropy: \(String(format: "%.3f", report.entropy)) nats")
        print("  rank      id   logit    prob  text")
        for (i, e) in entries.enumerated() {
            print(String(format: "  %4d  %6d  %6.2f  %6.4f  ", i + 1, e.id, e.logit, e.prob) + e.text.debugDescription)
        }
    }
}
