// `tokenloom bench memory`: resident memory (RSS, from /proc/self/status) over a long text run and
// over many image runs in one process, so a leak or an unbounded cache shows as a rising curve.
//
//   text:  one AR decoder (EOS ignored) for --tokens new tokens on --model; RSS after every --every tokens
//   image: --image-runs decodes of --image-model (cycling ar, sjd, sjd2) in this process; RSS after each
import ArgumentParser
import Foundation
import TokenloomModels
import TokenloomDecoding
import TokenloomSession

struct BenchMemoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "memory",
        abstract: "RSS over a long text run and over many image runs in one process.")

    @OptionGroup var model: ModelOptions
    @OptionGroup var output: OutputOptions

    @Option(parsing: .unconditional, help: "New tokens in the text run (0 skips it).")
    var tokens: Int = 4000

    @Option(parsing: .unconditional, help: "Record RSS after every N tokens.")
    var every: Int = 250

    @Option(parsing: .unconditional, help: "Image runs in one process (0 skips them).")
    var imageRuns: Int = 100

    @Option(help: "The image model for the image runs.")
    var imageModel: String = "builtin:emoji"

    func validate() throws {
        try check(tokens, in: 0...Scenario.maxTokensRange.upperBound, "--tokens")
        try check(every, in: 1...Scenario.maxTokensRange.upperBound, "--every")
        try check(imageRuns, in: 0...100_000, "--image-runs")
    }

    /// Resident and peak resident set, in MiB, from /proc/self/status (VmRSS, VmHWM).
    static func rss() -> (now: Double, peak: Double) {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return (0, 0) }
        func kib(_ key: String) -> Double {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") }) else { return 0 }
            return Double(line.split(separator: " ").dropFirst().first { Double($0) != nil }.flatMap { Double($0) } ?? 0)
        }
        return (kib("VmRSS") / 1024, kib("VmHWM") / 1024)
    }

    struct Point: Encodable { let at: Int; let rss_mib: Double }
    struct Report: Encodable {
        var text_model: String?
        var text_tokens = 0
        var text_curve: [Point] = []
        var image_model: String?
        var image_curve: [Point] = []
        var peak_rss_mib = 0.0
    }

    func run() throws {
        var report = Report()
        let start = Self.rss().now
        if tokens > 0 { try textRun(&report) }
        if imageRuns > 0 { try imageRun(&report) }
        report.peak_rss_mib = Self.rss().peak
        if output.json { print(try jsonString(report)); return }
        func line(_ name: String, _ c: [Point], _ unit: String) {
            guard let first = c.first, let last = c.last else { return }
            print("\(name): " + c.map { "\($0.at)\(unit) \(String(format: "%.1f", $0.rss_mib))" }.joined(separator: ", "))
            let mid = c[c.count / 2]
            print("  RSS MiB: first \(String(format: "%.1f", first.rss_mib)), middle \(String(format: "%.1f", mid.rss_mib)), "
                  + "last \(String(format: "%.1f", last.rss_mib)); second half grew \(String(format: "%+.1f", last.rss_mib - mid.rss_mib)) MiB")
        }
        print("RSS at start \(String(format: "%.1f", start)) MiB")
        line("text (\(report.text_tokens) tokens, \(report.text_model ?? ""))", report.text_curve, " tok")
        line("image (\(max(0, report.image_curve.count - 1)) runs, \(report.image_model ?? ""))", report.image_curve, ":")
        print("peak RSS \(String(format: "%.1f", report.peak_rss_mib)) MiB")
    }

    func textRun(_ report: inout Report) throws {
        let target = try ModelTarget.load(model.model, threads: model.threads, checking: [DecoderSpec(kind: .ar)])
        let prepared = try target.prepare(prompt: "Write a long story about a lighthouse keeper.", maxNewTokens: tokens)
        // EOS ignored: the run is exactly --tokens long.
        let settings = DecodeSettings(maxNewTokens: tokens, sampler: .greedy, seed: 0, isEnd: nil)
        let d = try DecoderSpec(kind: .ar).make(DecoderInputs(model: prepared.model, prompt: prepared.tokens, settings: settings))
        report.text_model = model.model
        report.text_curve.append(Point(at: 0, rss_mib: Self.rss().now))
        var next = every
        while !d.isFinished {
            _ = try d.step()
            if d.generated.count >= next || d.isFinished {
                report.text_curve.append(Point(at: d.generated.count, rss_mib: Self.rss().now))
                next += every
            }
        }
        report.text_tokens = d.generated.count
    }

    func imageRun(_ report: inout Report) throws {
        let target = try ModelTarget.load(imageModel, threads: model.threads)
        guard target.domain == .image else {
            throw CLIError.usage("--image-model \(imageModel) is not an image model")
        }
        let kinds: [DecoderKind] = [.ar, .sjd, .sjd2]
        let prompts = ["grinning face", "red heart", "sun", "thumbs up"]
        report.image_model = imageModel
        report.image_curve.append(Point(at: 0, rss_mib: Self.rss().now))
        for i in 0..<imageRuns {
            let prepared = try target.prepare(prompt: prompts[i % prompts.count], maxNewTokens: 1)
            let d = try target.makeDecoder(DecoderSpec(kind: kinds[i % kinds.count]), for: prepared, seed: UInt64(i))
            try runDecoder(d)
            report.image_curve.append(Point(at: i + 1, rss_mib: Self.rss().now))
        }
    }
}
