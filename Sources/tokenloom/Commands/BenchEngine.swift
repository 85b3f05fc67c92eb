// `tokenloom bench engine`: prompt-eval and decode speed, k-position forward times, peak RSS.
import ArgumentParser

struct BenchEngineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "engine",
        abstract: "Time the inference engine on a model.")
    @OptionGroup var model: ModelOptions
    @OptionGroup var output: OutputOptions
    func run() throws { throw CLIError.notYet("tokenloom bench engine") }
}
