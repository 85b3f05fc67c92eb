// Scenario: what a session decodes (model, prompt, decoders with their settings, seed), and the
// Workspace a builder makes from it. Every session's decoders come from one builder function, so
// the default screen, `--model`, `/` prompt changes and tests all go through the same door.
import TokenloomDecoding

/// One decoder to run and its settings. Fields a decoder does not use are ignored by it.
public struct DecoderChoice: Sendable, Equatable {
    /// "AR", "Jacobi", "SJD", "SJD2", "CNTP" or "Lookahead".
    public var name: String
    /// Jacobi / SJD / SJD2 window length (nil: the decoder's own default, 16 for SJD, 80 for SJD2).
    public var window: Int?
    public var temperature: Double
    public var topK: Int
    public var topP: Double
    /// Jacobi / SJD draft initialisation: "random" or "repeat" (repeat-last on text, repeat-left on
    /// an image grid); nil: the decoder's own default (Jacobi repeat, SJD random).
    public var initScheme: String?
    /// SJD2: K, the denoising steps (nil: 20).
    public var levels: Int?
    /// A model for this pane alone (nil: the scenario's); e.g. builtin:emoji beside builtin:emoji-fused.
    public var model: String?

    public init(name: String, window: Int? = nil, temperature: Double = 1.0, topK: Int = 0, topP: Double = 1.0,
                initScheme: String? = nil, levels: Int? = nil, model: String? = nil) {
        self.name = name; self.window = window; self.temperature = temperature; self.topK = topK; self.topP = topP
        self.initScheme = initScheme; self.levels = levels; self.model = model
    }
}

public struct Scenario: Sendable, Equatable {
    /// `smollm2`, `builtin:NAME`, or a path to a .gguf file.
    public var modelRef: String
    public var prompt: String
    public var chat: Bool
    /// One to four decoders, run in lockstep.
    public var decoders: [DecoderChoice]
    public var seed: UInt64
    /// Tokens to generate after the prompt (image models: the whole grid, whatever this says).
    public var maxNewTokens: Int
    public var threads: Int?

    public init(modelRef: String, prompt: String, chat: Bool = false, decoders: [DecoderChoice], seed: UInt64 = 42,
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

public enum SessionError: Error, CustomStringConvertible, Sendable {
    case badScenario(String)

    public var description: String {
        switch self {
        case .badScenario(let why): return why
        }
    }
}
