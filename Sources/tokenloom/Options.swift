// Option groups shared across subcommands.
import ArgumentParser

struct ModelOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "Model: smollm2, builtin:NAME, or a path to a .gguf file.")
    var model: String = "smollm2"

    @Option(help: "Worker threads for the kernels (default: the number of cores).")
    var threads: Int?

    func validate() throws {
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1, got \(t)") }
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
