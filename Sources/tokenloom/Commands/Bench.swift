// `tokenloom bench`: benchmarks that print figures (medians, and ratios against a baseline
// measured in the same run).
import ArgumentParser

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench",
        abstract: "Benchmarks: the engine, and decoders against AR.",
        subcommands: [BenchEngineCommand.self, BenchDecodersCommand.self, BenchLosslessCommand.self, BenchCNTPCommand.self, BenchMemoryCommand.self])
}
