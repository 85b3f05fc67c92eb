// Subcommands whose implementation lands with later work: each exists, is listed in --help, and
// says plainly that it is not there yet (exit 2).
import ArgumentParser

struct TUICommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tui",
        abstract: "Open the explorer (the default when no subcommand is given).")
    @OptionGroup var model: ModelOptions
    func run() throws { throw CLIError.notYet("the explorer (tokenloom tui)") }
}

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "generate",
        abstract: "Decode a prompt with one decoder and print the result.")
    @OptionGroup var model: ModelOptions
    @OptionGroup var prompt: PromptOptions
    @OptionGroup var output: OutputOptions
    func run() throws { throw CLIError.notYet("tokenloom generate") }
}

struct LogitsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logits",
        abstract: "Show a prompt's tokens and the model's top next tokens.")
    @OptionGroup var model: ModelOptions
    @OptionGroup var prompt: PromptOptions
    @OptionGroup var output: OutputOptions
    func run() throws { throw CLIError.notYet("tokenloom logits") }
}


struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "replay",
        abstract: "Open the explorer on a recorded trace (JSON Lines).")
    @Argument(help: "The trace file.") var file: String
    func run() throws { throw CLIError.notYet("tokenloom replay") }
}

