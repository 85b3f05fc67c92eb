// ScenarioFactory: the one function that turns a Scenario into decoders — resolve the model
// reference, load the model and its tokenizer, encode the prompt, build each decoder through
// TokenloomDecoding's DecoderSpec. Also the default scenario `tokenloom` opens with.
import TokenloomDecoding
import TokenloomModels

/// Shows text tokens with the model's own vocabulary.
public struct TokenizerPresenter: TokenPresenter {
    public let layout = TokenLayout.text
    let tokenizer: any GGUFTokenizer
    public init(_ tokenizer: any GGUFTokenizer) { self.tokenizer = tokenizer }
    public func piece(_ token: Int) -> String {
        guard token >= 0, token < tokenizer.vocabSize else { return "·" }
        return tokenizer.piece(token)
    }
    public func colour(of token: Int) -> RGB? { nil }
}

public enum ScenarioFactory {
    public static let defaultImagePrompt = "a red circle on a blue background"
    public static let defaultTextPrompt = "Explain in one paragraph why the sky is blue."

    /// The default screen: the built-in image model with AR, SJD and SJD2 when it is shipped;
    /// until then SmolLM2 text with AR, Jacobi and SJD, with a note saying so.
    public static func defaultScenario(seed: UInt64 = 42) -> (Scenario, note: String?) {
        if let image = ModelStore.builtinNames.first {
            return (Scenario(modelRef: "builtin:\(image)", prompt: defaultImagePrompt,
                             decoders: [DecoderChoice(name: "AR"), DecoderChoice(name: "SJD"), DecoderChoice(name: "SJD2")],
                             seed: seed), nil)
        }
        return (textScenario(modelRef: "smollm2", prompt: defaultTextPrompt, seed: seed),
                "no built-in image model yet: SmolLM2 text")
    }

    public static func textScenario(modelRef: String, prompt: String, seed: UInt64, maxNewTokens: Int = 200) -> Scenario {
        Scenario(modelRef: modelRef, prompt: prompt, chat: true,
                 decoders: [DecoderChoice(name: "AR", temperature: 0), DecoderChoice(name: "Jacobi", temperature: 0),
                            DecoderChoice(name: "SJD", temperature: 0.7)],
                 seed: seed, maxNewTokens: maxNewTokens)
    }

    /// The decoder kind a pane name stands for.
    static func kind(_ name: String) throws -> DecoderKind {
        let k = name.lowercased()
        if k == "sjd2" { throw SessionError.badScenario("SJD2 needs the built-in image model, which this build does not ship") }
        guard let kind = DecoderKind(rawValue: k) else {
            throw SessionError.badScenario("unknown decoder '\(name)' (choose from \(DecoderKind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return kind
    }

    /// Builds a scenario's decoders (the session's ScenarioBuilder).
    public static func build(_ scenario: Scenario) throws -> Workspace {
        guard (1...4).contains(scenario.decoders.count) else {
            throw SessionError.badScenario("choose 1 to 4 decoders, got \(scenario.decoders.count)")
        }
        guard !scenario.prompt.isEmpty else { throw SessionError.badScenario("the prompt must not be empty") }
        let kinds = try scenario.decoders.map { try kind($0.name) }
        let path = try ModelStore.resolve(scenario.modelRef)
        let model = try ModelLoader.load(path: path, threads: scenario.threads)
        let tokenizer = try TokenizerLoader.load(from: try GGUFFile(path: path))
        let text = scenario.chat ? tokenizer.chatTemplate.prompt(user: scenario.prompt) : scenario.prompt
        let prompt = tokenizer.encode(text, addSpecial: true)
        guard prompt.count + scenario.maxNewTokens <= model.contextLength else {
            throw SessionError.badScenario("the prompt (\(prompt.count) tokens) plus \(scenario.maxNewTokens) new tokens does not fit the context of \(model.contextLength)")
        }
        let punctuation = CNTPDecoder.punctuationIDs(tokenizer)
        var decoders: [Decoder] = []
        for (choice, kind) in zip(scenario.decoders, kinds) {
            var spec = DecoderSpec(kind: kind)
            spec.window = choice.window
            let t = kind.greedyOnly ? 0 : choice.temperature
            let settings = DecodeSettings(maxNewTokens: scenario.maxNewTokens,
                                          sampler: SamplerSettings(temperature: t, topK: choice.topK, topP: choice.topP),
                                          seed: scenario.seed, isEnd: { tokenizer.isEndOfGeneration($0) })
            decoders.append(try spec.make(model: model, prompt: prompt, settings: settings, punctuation: punctuation))
        }
        return Workspace(decoders: decoders, presenter: TokenizerPresenter(tokenizer),
                         title: "\(model.displayName) · \(scenario.prompt)")
    }
}
