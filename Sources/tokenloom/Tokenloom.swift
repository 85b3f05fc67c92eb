// The root command and its subcommands.
import ArgumentParser

struct Tokenloom: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenloom",
        abstract: "Watch language and image models decode, one forward pass at a time.",
        discussion: """
        Models: --model smollm2 (fetched with `tokenloom fetch smollm2`), --model builtin:NAME \
        (shipped with tokenloom), or --model path/to/file.gguf.
        """,
        version: "0.1.0",
        subcommands: [TUICommand.self, GenerateCommand.self, LogitsCommand.self, BenchCommand.self,
                      FetchCommand.self, ModelsCommand.self, ReplayCommand.self, TourCommand.self],
        defaultSubcommand: TUICommand.self
    )
}
