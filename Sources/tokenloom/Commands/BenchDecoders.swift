// `tokenloom bench decoders`: forward passes, tokens per pass and wall time per decoder, with
// speed-up over AR measured in the same run.
import ArgumentParser

struct BenchDecodersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "decoders",
        abstract: "Compare decoders against AR on a prompt file.")
    @OptionGroup var model: ModelOptions
    @OptionGroup var output: OutputOptions
    func run() throws { throw CLIError.notYet("tokenloom bench decoders") }
}
