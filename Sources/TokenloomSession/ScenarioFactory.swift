// ScenarioFactory: the one function that turns a Scenario into decoders — resolve the model
// reference, load the model and its tokenizer, encode the prompt, build each decoder through
// TokenloomDecoding's DecoderSpec. Also the default scenario `tokenloom` opens with.
import Foundation
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
    /// How many most probable tokens each position's `alternatives` event lists (the inspector's top 5).
    public static let inspectorAlternatives = 5
    public static let defaultTextPrompt = "Explain in one paragraph why the sky is blue."
    /// The image prompt the default screen opens with (one the built-in model was trained on).
    public static let defaultImagePrompt = "sun behind cloud"

    /// The default screen: the built-in image model with AR, SJD and SJD2 when it is shipped;
    /// otherwise SmolLM2 text with AR, Jacobi and SJD, with a note saying so.
    public static func defaultScenario(seed: UInt64 = 42) -> (Scenario, note: String?) {
        let builtins = ModelStore.builtinNames
        if let image = builtins.contains("emoji") ? "emoji" : builtins.first {
            return (imageScenario(modelRef: "builtin:\(image)", prompt: defaultImagePrompt, seed: seed), nil)
        }
        return (textScenario(modelRef: "smollm2", prompt: defaultTextPrompt, seed: seed),
                "no built-in image model: SmolLM2 text")
    }

    public static func imageScenario(modelRef: String, prompt: String, seed: UInt64) -> Scenario {
        Scenario(modelRef: modelRef, prompt: prompt,
                 decoders: [DecoderChoice(name: "AR"), DecoderChoice(name: "SJD"), DecoderChoice(name: "SJD2")], seed: seed)
    }

    public static func textScenario(modelRef: String, prompt: String, seed: UInt64, maxNewTokens: Int = 200) -> Scenario {
        Scenario(modelRef: modelRef, prompt: prompt, chat: true,
                 decoders: [DecoderChoice(name: "AR", temperature: 0), DecoderChoice(name: "Jacobi", temperature: 0),
                            DecoderChoice(name: "SJD", temperature: 0.7)],
                 seed: seed, maxNewTokens: maxNewTokens)
    }

    /// Is `modelRef` an image model (a tokenloom-image GGUF)?
    public static func isImageModel(_ modelRef: String) -> Bool {
        guard let path = try? ModelStore.resolve(modelRef), let file = try? GGUFFile(path: path) else { return false }
        return file.architecture == "tokenloom-image"
    }

    /// The decoder kind a pane name stands for.
    static func kind(_ name: String) throws -> DecoderKind {
        guard let kind = DecoderKind(rawValue: name.lowercased()) else {
            throw SessionError.badScenario("unknown decoder '\(name)' (choose from \(DecoderKind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return kind
    }

    /// The checks that need no model loaded (decoder names, the model reference), so the CLI can
    /// refuse a bad scenario before the explorer takes the terminal.
    public static func validate(_ scenario: Scenario) throws {
        guard (1...4).contains(scenario.decoders.count) else {
            throw SessionError.badScenario("choose 1 to 4 decoders, got \(scenario.decoders.count)")
        }
        for d in scenario.decoders { _ = try kind(d.name) }
        let path = try ModelStore.resolve(scenario.modelRef)
        let image = (try GGUFFile(path: path)).architecture == "tokenloom-image"
        if !image, scenario.decoders.contains(where: { $0.name.lowercased() == "sjd2" }) {
            throw SessionError.badScenario("SJD2 runs on the built-in image model only (e.g. --model builtin:emoji)")
        }
    }

    /// Builds a scenario's decoders (the session's ScenarioBuilder).
    public static func build(_ scenario: Scenario) throws -> Workspace {
        guard (1...4).contains(scenario.decoders.count) else {
            throw SessionError.badScenario("choose 1 to 4 decoders, got \(scenario.decoders.count)")
        }
        guard !scenario.prompt.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw SessionError.badScenario("the prompt must not be empty")
        }
        let path = try ModelStore.resolve(scenario.modelRef)
        let file = try GGUFFile(path: path)
        if file.architecture == "tokenloom-image" { return try buildImage(scenario, path: path, file: file) }
        return try buildText(scenario, path: path, file: file)
    }

    static func buildText(_ scenario: Scenario, path: String, file: GGUFFile) throws -> Workspace {
        let kinds = try scenario.decoders.map { c -> DecoderKind in
            let k = try kind(c.name)
            guard !k.imageOnly else { throw SessionError.badScenario("SJD2 runs on the built-in image model only") }
            return k
        }
        let model = try ModelLoader.load(path: path, threads: scenario.threads)
        let tokenizer = try TokenizerLoader.load(from: file)
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
            if let scheme = choice.initScheme { spec.initRandom = scheme == "random" }
            let t = kind.greedyOnly ? 0 : choice.temperature
            let settings = DecodeSettings(maxNewTokens: scenario.maxNewTokens,
                                          sampler: SamplerSettings(temperature: t, topK: choice.topK, topP: choice.topP),
                                          seed: scenario.seed, isEnd: { tokenizer.isEndOfGeneration($0) },
                                          topAlternatives: ScenarioFactory.inspectorAlternatives)
            decoders.append(try spec.make(model: model, prompt: prompt, settings: settings, punctuation: punctuation))
        }
        return Workspace(decoders: decoders, presenter: TokenizerPresenter(tokenizer),
                         title: "\(model.displayName) · \(scenario.prompt)")
    }
}
