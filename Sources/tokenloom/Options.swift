// Option groups shared across subcommands.
import ArgumentParser
import TokenloomSession

/// The one message form for a numeric option outside its documented range.
func check<T: Comparable>(_ value: T, in range: ClosedRange<T>, _ flag: String) throws {
    guard range.contains(value) else {
        throw ValidationError("\(flag) must be in \(range.lowerBound)...\(range.upperBound), got \(value)")
    }
}

struct ModelOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "Model: smollm2, builtin:NAME, or a path to a .gguf file.")
    var model: String = "smollm2"

    @Option(parsing: .unconditional, help: "Worker threads for the kernels (default: the number of cores).")
    var threads: Int?

    func validate() throws {
        if let t = threads { try check(t, in: Scenario.threadsRange, "--threads") }
    }
}

struct PromptOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "The prompt text.")
    var prompt: String = "The quick brown fox"

    @Flag(help: "Wrap the prompt in the model's chat template (instruct models).")
    var chat = false

    func validate() throws {
        if prompt.isEmpty { throw ValidationError("--prompt must not be empty") }
    }
}

struct OutputOptions: ParsableArguments {
    @Flag(help: "Print JSON instead of text.")
    var json = false
}
