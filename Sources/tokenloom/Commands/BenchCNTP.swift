// `tokenloom bench cntp`: a small accuracy study of Cautious Next Token Prediction against greedy and
// nucleus sampling, on short questions with checkable answers (examples/questions.jsonl: one
// {"question": ..., "answer": ...} per line). Each answer is the last number in the generated text.
// Reports accuracy per decoder (mean and spread over seeds for the sampled ones), how often CNTP
// branched, and forward passes spent.
import ArgumentParser
import Foundation
import TokenloomModels
import TokenloomDecoding
import TokenloomSession

struct BenchCNTPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cntp",
        abstract: "Accuracy of greedy, nucleus and CNTP on checkable questions.")
    @OptionGroup var model: ModelOptions
    @OptionGroup var output: OutputOptions

    @Option(help: "Questions, JSON Lines with `question` and `answer`.")
    var questions: String = "examples/questions.jsonl"
    @Option(parsing: .unconditional, help: "Sampling temperature for nucleus and CNTP.")
    var temperature: Double = 0.8
    @Option(parsing: .unconditional, help: "Top-p for nucleus and CNTP.")
    var topP: Double = 0.9
    @Option(parsing: .unconditional, help: "Seeds per sampled decoder (0, 1, ..., N-1).")
    var seeds: Int = 3
    @Option(parsing: .unconditional, help: "Most new tokens per answer.")
    var maxTokens: Int = 48
    @Option(parsing: .unconditional, help: "Use only the first N questions (0 = all).")
    var limit: Int = 0

    func validate() throws {
        try check(seeds, in: 1...10_000, "--seeds")
        try check(temperature, in: DecoderSpec.samplingTemperatureRange, "--temperature")
        if !(topP > 0 && topP <= 1) { throw ValidationError("--top-p must be in (0, 1], got \(topP)") }
        try check(maxTokens, in: Scenario.maxTokensRange, "--max-tokens")
    }

    struct Question: Decodable { let question: String; let answer: String }

    struct DecoderResult: Encodable {
        let decoder: String
        let accuracy_per_seed: [Double]
        let accuracy_mean: Double
        let accuracy_std: Double
        let forward_passes: Int
        let branched_answers: Int?
        let branches: Int?
    }

    static func readQuestions(_ path: String) throws -> [Question] {
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError.data("cannot read the question file \(path)") }
        var out: [Question] = []
        for (i, line) in String(decoding: data, as: UTF8.self).split(separator: "\n").enumerated() where !line.isEmpty {
            do { out.append(try JSONDecoder().decode(Question.self, from: Data(line.utf8))) }
            catch { throw CLIError.data("\(path):\(i + 1): expected {\"question\": ..., \"answer\": ...}") }
        }
        if out.isEmpty { throw CLIError.data("\(path): no questions") }
        return out
    }

    func run() throws {
        var qs = try Self.readQuestions(questions)
        if limit > 0 { qs = Array(qs.prefix(limit)) }
        let target = try ModelTarget.load(model.model, threads: model.threads, checking: [DecoderSpec(kind: .cntp)])
        guard case .text(_, let tokenizer) = target.content else { return }
        let prompts = try qs.map { try target.prepare(prompt: $0.question, chat: true, maxNewTokens: maxTokens) }

        func solve(_ kind: DecoderKind, sampler: SamplerSettings, seed: UInt64, index: Int) throws -> (correct: Bool, passes: Int, branches: Int) {
            var spec = DecoderSpec(kind: kind)
            spec.temperature = sampler.temperature; spec.topK = sampler.topK; spec.topP = sampler.topP
            let d = try target.makeDecoder(spec, for: prompts[index], seed: seed)
            try runDecoder(d)
            let text = tokenizer.decode(d.generated)
            let answer = try SelfConsistency.answer(in: text)
            let branches = (d as? CNTPDecoder)?.branches.count ?? 0
            return (answer == qs[index].answer, d.stats.forwardPasses, branches)
        }

        let nucleus = SamplerSettings(temperature: temperature, topK: 0, topP: topP)
        let runs: [(String, DecoderKind, SamplerSettings, Int)] = [
            ("greedy", .ar, .greedy, 1), ("nucleus", .ar, nucleus, seeds), ("cntp", .cntp, nucleus, seeds)]
        var results: [DecoderResult] = []
        for (label, kind, sampler, nSeeds) in runs {
            var accs: [Double] = []
            var passes = 0, branched = 0, branches = 0
            for s in 0..<nSeeds {
                var correct = 0
                for i in qs.indices {
                    let r = try solve(kind, sampler: sampler, seed: UInt64(s), index: i)
                    if r.correct { correct += 1 }
                    passes += r.passes
                    if r.branches > 0 { branched += 1 }
                    branches += r.branches
                }
                accs.append(Double(correct) / Double(qs.count))
                if !output.json { fputs("tokenloom: \(label) seed \(s): \(correct)/\(qs.count)\n", stderr) }
            }
            let mean = accs.reduce(0, +) / Double(accs.count)
            let std = accs.count > 1 ? (accs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(accs.count - 1)).squareRoot() : 0
            results.append(DecoderResult(decoder: label, accuracy_per_seed: accs, accuracy_mean: mean, accuracy_std: std,
                                         forward_passes: passes, branched_answers: kind == .cntp ? branched : nil,
                                         branches: kind == .cntp ? branches : nil))
        }
        if output.json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try enc.encode(results), as: UTF8.self))
            return
        }
        print("\(qs.count) questions, temperature \(temperature), top-p \(topP), \(seeds) seed(s) for sampled decoders")
        print("decoder   accuracy          forward passes   CNTP branching")
        for r in results {
            let acc = String(format: "%5.1f%% ± %4.1f", 100 * r.accuracy_mean, 100 * r.accuracy_std)
            var line = r.decoder.padding(toLength: 10, withPad: " ", startingAt: 0) + acc
                + String(repeating: " ", count: 4) + String(r.forward_passes).padding(toLength: 17, withPad: " ", startingAt: 0)
            if let b = r.branched_answers, let n = r.branches {
                line += "\(b) of \(qs.count * seeds) answers branched, \(n) branch points"
            }
            print(line)
        }
    }
}
