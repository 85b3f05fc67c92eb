// Scenario: what a session decodes (model, prompt, decoders with their settings, seed), and the
// Workspace a builder makes from it. Every session's decoders come from one builder function, so
// the default screen, `--model`, `/` prompt changes and tests all go through the same door.
import TokenloomDecoding
import TokenloomModels

/// One pane of a scenario: a decoder with its settings, the title it is shown under, and the model
/// it runs on when that is not the scenario's (e.g. builtin:emoji-fused beside builtin:emoji).
public struct ScenarioPane: Sendable, Equatable {
    public var spec: DecoderSpec
    /// The pane's title; nil: the decoder's own name.
    public var label: String?
    public var model: String?

    public init(_ spec: DecoderSpec, label: String? = nil, model: String? = nil) {
        self.spec = spec; self.label = label; self.model = model
    }

    /// A pane of `kind` with its registry defaults, at `temperature` when given.
    public init(_ kind: DecoderKind, temperature: Double? = nil) {
        var s = DecoderSpec(kind: kind)
        s.temperature = temperature
        self.init(s)
    }
}

public struct Scenario: Sendable, Equatable {
    /// `smollm2`, `builtin:NAME`, or a path to a .gguf file.
    public var modelRef: String
    public var prompt: String
    public var chat: Bool
    /// One to four decoders, run in lockstep.
    public var decoders: [ScenarioPane]
    public var seed: UInt64
    /// Tokens to generate after the prompt (image models: the whole grid, whatever this says).
    public var maxNewTokens: Int
    public var threads: Int?

    /// The bounds of the scenario-wide settings (a decoder's own are DecoderSpec's).
    public static let maxTokensRange = 1...1_000_000
    public static let threadsRange = 1...256

    public init(modelRef: String, prompt: String, chat: Bool = false, decoders: [ScenarioPane],
                seed: UInt64 = DecoderRegistry.defaultSeed,
                maxNewTokens: Int = 256, threads: Int? = nil) {
        self.modelRef = modelRef; self.prompt = prompt; self.chat = chat; self.decoders = decoders
        self.seed = seed; self.maxNewTokens = maxNewTokens; self.threads = threads
    }
}

/// What a builder makes from a scenario: the decoders (touched only on the session's engine
/// queue from then on) and how to show their tokens.
public struct Workspace: @unchecked Sendable {
    public var decoders: [Decoder]
    public var presenter: TokenPresenter
    /// A line for the title bar ("builtin:emoji · a red circle").
    public var title: String
    /// A line the UI shows once (e.g. why the default screen fell back to a text model).
    public var note: String?
    /// The image model's fuser gates, one per prompt token (empty for models without a fuser).
    public var fuser: [FuserGate]

    public init(decoders: [Decoder], presenter: TokenPresenter, title: String, note: String? = nil, fuser: [FuserGate] = []) {
        self.decoders = decoders; self.presenter = presenter; self.title = title; self.note = note; self.fuser = fuser
    }
}

/// The LLM branch's share of one prompt token in a Mimir-style fuser (0 = encoder only).
public struct FuserGate: Sendable, Equatable {
    public var label: String
    public var value: Double
    public init(label: String, value: Double) { self.label = label; self.value = value }
}

/// Makes the decoders of a scenario. Runs on the engine queue (loading a model may take a while).
public typealias ScenarioBuilder = @Sendable (Scenario) throws -> Workspace

public enum SessionError: UserFacingError, Sendable {
    case badScenario(String)

    public var exitCode: Int32 { ExitStatus.badUsage }

    public var description: String {
        switch self {
        case .badScenario(let why): return why
        }
    }
}
