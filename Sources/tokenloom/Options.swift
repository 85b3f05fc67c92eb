// Option groups shared across subcommands.
import ArgumentParser
import TokenloomSession
import TokenloomDecoding
import TokenloomModels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one message form for a numeric option outside its documented range.
func check<T: Comparable>(_ value: T, in range: ClosedRange<T>, _ flag: String) throws {
    guard range.contains(value) else {
        throw ValidationError("\(flag) must be in \(range.lowerBound)...\(range.upperBound), got \(value)")
    }
}

struct ModelOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "Model: smollm2, builtin:NAME, a path to a .gguf file, or a served model http://HOST:PORT/v1#MODEL_NAME.")
    var model: String = "smollm2"

    @Option(parsing: .unconditional, help: "Worker threads for the kernels (default: the number of cores; 1 for an image model).")
    var threads: Int?

    @OptionGroup var served: ServedModelOptions

    func validate() throws {
        if let t = threads { try check(t, in: Scenario.threadsRange, "--threads") }
    }
}

/// How to reach a model behind an inference server (`--model http://HOST:PORT/v1#NAME`).
struct ServedModelOptions: ParsableArguments {
    @Option(help: "For a served model: a GGUF of the same model (path or store name) whose tokenizer to use; its weights are not loaded.")
    var tokenizer: String?

    @Option(help: "For a served model: the server, vllm, sglang or llamacpp-python (default: detected).")
    var server: String?

    @Option(help: "For a served model: how many log-probabilities the server returns per position (1...100).")
    var topLogprobs: Int = 20

    @Option(help: "For a served model: seconds to wait for a connection.")
    var connectTimeout: Double = 5

    @Option(help: "For a served model: seconds to wait for one answer.")
    var requestTimeout: Double = 120

    func validate() throws {
        try check(topLogprobs, in: 1...100, "--top-logprobs")
        try check(connectTimeout, in: 0.1...600, "--connect-timeout")
        try check(requestTimeout, in: 0.1...3600, "--request-timeout")
        var flavour: ServerFlavour?
        if let s = server {
            guard let f = ServerFlavour(rawValue: s) else {
                throw ValidationError("--server must be vllm, sglang or llamacpp-python, got \(s.debugDescription.escapingControlCharacters)")
            }
            flavour = f
        }
        // Every command loads models through ModelTarget; the served model's settings reach it here,
        // once, before any command runs.
        var setup = ModelTarget.RemoteSetup()
        setup.tokenizer = tokenizer
        setup.options = RemoteOptions(flavour: flavour, topLogprobs: topLogprobs, connectTimeout: connectTimeout,
                                      requestTimeout: requestTimeout)
        if let key = getenv("TOKENLOOM_API_KEY").map({ String(cString: $0) }), !key.isEmpty {
            setup.options.headers = [("Authorization", "Bearer \(key)")]
        }
        setup.options.isCancelled = { receivedSignal != 0 }
        ModelTarget.remote = setup
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
