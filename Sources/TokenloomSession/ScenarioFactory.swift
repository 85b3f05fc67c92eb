// ScenarioFactory: turns a Scenario into a Workspace through the registry's one builder
// (ModelTarget): each distinct model is loaded once, the prompt is encoded or conditioned on, and
// each pane's decoder is built from its DecoderSpec. Also the default scenario `tokenloom` opens with.
import Foundation
import TokenloomDecoding
import TokenloomModels

public enum ScenarioFactory {
    /// How many most probable tokens each position's `alternatives` event lists (the inspector's top 5).
    public static let inspectorAlternatives = 5
    public static let defaultTextPrompt = "Explain in one paragraph why the sky is blue."
    /// The image prompt the default screen opens with (one the built-in model was trained on).
    public static let defaultImagePrompt = "sun behind cloud"
    /// The temperature of the default text screen's SJD pane.
    public static let defaultTextTemperature = 0.7

    /// The default screen: the built-in image model with AR, SJD and SJD2 when it is shipped;
    /// otherwise SmolLM2 text with AR, Jacobi and SJD, with a note saying so.
    public static func defaultScenario(seed: UInt64 = DecoderRegistry.defaultSeed) -> (Scenario, note: String?) {
        let builtins = ModelStore.builtinNames
        if let image = builtins.contains("emoji") ? "emoji" : builtins.first {
            return (imageScenario(modelRef: "builtin:\(image)", prompt: defaultImagePrompt, seed: seed), nil)
        }
        return (textScenario(modelRef: "smollm2", prompt: defaultTextPrompt, seed: seed),
                "no built-in image model: SmolLM2 text")
    }

    public static func imageScenario(modelRef: String, prompt: String, seed: UInt64) -> Scenario {
        Scenario(modelRef: modelRef, prompt: prompt, decoders: [ScenarioPane(.ar), ScenarioPane(.sjd), ScenarioPane(.sjd2)], seed: seed)
    }

    public static func textScenario(modelRef: String, prompt: String, seed: UInt64, maxNewTokens: Int = 200) -> Scenario {
        Scenario(modelRef: modelRef, prompt: prompt, chat: true,
                 decoders: [ScenarioPane(.ar), ScenarioPane(.jacobi), ScenarioPane(.sjd, temperature: defaultTextTemperature)],
                 seed: seed, maxNewTokens: maxNewTokens)
    }

    /// Is `modelRef` an image model (a tokenloom-image GGUF)?
    public static func isImageModel(_ modelRef: String) -> Bool {
        (try? ModelTarget.domain(of: modelRef)) == .image
    }

    /// The checks that need no model loaded (pane count, each pane's model and whether its decoder
    /// runs on it, every setting's bounds), so the CLI can refuse a bad scenario before the explorer
    /// takes the terminal.
    public static func validate(_ scenario: Scenario) throws {
        guard (1...4).contains(scenario.decoders.count) else {
            throw SessionError.badScenario("choose 1 to 4 decoders, got \(scenario.decoders.count)")
        }
        guard scenario.prompt.contains(where: { !$0.isWhitespace }) else {
            throw SessionError.badScenario("the prompt must not be empty")
        }
        var domains: [String: ModelDomain] = [:]
        for pane in scenario.decoders {
            let ref = pane.model ?? scenario.modelRef
            let domain = try domains[ref] ?? ModelTarget.domain(of: ref)
            domains[ref] = domain
            try pane.spec.entry.check(domain)
            try pane.spec.validate()
        }
        if Set(domains.values).count > 1 {
            throw SessionError.badScenario("the panes mix text and image models; a scenario shows one kind")
        }
    }

    /// A scenario's models loaded and its prompt prepared for each: decoders can be made from it
    /// for any seed without loading again (the distribution view runs hundreds of seeds).
    public struct Loaded {
        public let scenario: Scenario
        let targets: [String: (ModelTarget, ModelTarget.Prepared)]
        /// Model references in the order the panes first name them.
        let order: [String]

        /// The panes' decoders, all seeded with `seed`.
        public func decoders(seed: UInt64, topAlternatives: Int = ScenarioFactory.inspectorAlternatives) throws -> [Decoder] {
            try scenario.decoders.indices.map { try decoder(pane: $0, seed: seed, topAlternatives: topAlternatives) }
        }

        /// Pane `i`'s decoder, seeded with `seed`, under the pane's label.
        public func decoder(pane i: Int, seed: UInt64, topAlternatives: Int = ScenarioFactory.inspectorAlternatives) throws -> Decoder {
            let pane = scenario.decoders[i]
            let (target, prepared) = targets[pane.model ?? scenario.modelRef]!
            let d = try target.makeDecoder(pane.spec, for: prepared, seed: seed, topAlternatives: topAlternatives)
            return pane.label.map { $0 == d.name ? d : LabelledDecoder(d, name: $0) } ?? d
        }

        /// How tokens are shown, the title, the image model's note and fuser gates.
        public func workspace(_ decoders: [Decoder]) -> Workspace {
            let (first, prepared) = targets[order[0]]!
            let title = (order.count > 1 ? order.joined(separator: " vs ") : first.displayName) + " · \(scenario.prompt)"
            switch first.content {
            case .text(_, let tokenizer):
                return Workspace(decoders: decoders, presenter: TokenizerPresenter(tokenizer), title: title)
            case .image(let weights, _, _):
                // The first model that has something to say: a prompt it was not trained on, a fuser's gates.
                let images = order.compactMap { targets[$0]!.1.image }
                let note = images.first { !$0.promptWasTrained }.map {
                    "'\(scenario.prompt)' is not a training prompt; try: \($0.weights.prompts.prefix(4).joined(separator: ", "))"
                }
                let fuser = images.lazy.map(\.fuserGates).first { !$0.isEmpty }?.map { FuserGate(label: $0.token, value: $0.gate) } ?? []
                return Workspace(decoders: decoders, presenter: PalettePresenter(weights: weights, firstPosition: prepared.tokens.count),
                                 title: title, note: note, fuser: fuser)
            }
        }
    }

    /// Loads each distinct model of a scenario once and prepares its prompt.
    public static func load(_ scenario: Scenario) throws -> Loaded {
        try validate(scenario)
        var targets: [String: (ModelTarget, ModelTarget.Prepared)] = [:]
        var order: [String] = []
        for pane in scenario.decoders {
            let ref = pane.model ?? scenario.modelRef
            if targets[ref] == nil {
                let t = try ModelTarget.load(ref, threads: scenario.threads)
                targets[ref] = (t, try t.prepare(prompt: scenario.prompt, chat: scenario.chat, maxNewTokens: scenario.maxNewTokens))
                order.append(ref)
            }
        }
        return Loaded(scenario: scenario, targets: targets, order: order)
    }

    /// Builds a scenario's decoders (the session's ScenarioBuilder).
    public static func build(_ scenario: Scenario) throws -> Workspace {
        let loaded = try load(scenario)
        return loaded.workspace(try loaded.decoders(seed: scenario.seed))
    }
}

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

/// Shows image tokens as their palette colours on the model's grid.
public struct PalettePresenter: TokenPresenter {
    public let layout: TokenLayout
    let palette: [RGB]
    public init(weights: ImageARWeights, firstPosition: Int) {
        layout = .image(width: weights.hp.grid, height: weights.hp.grid, firstPosition: firstPosition)
        palette = (0..<weights.hp.colours).map { let c = weights.colour(of: $0); return RGB(c.0, c.1, c.2) }
    }
    public func piece(_ token: Int) -> String { token >= 0 && token < palette.count ? "#\(token)" : "BOI" }
    public func colour(of token: Int) -> RGB? { token >= 0 && token < palette.count ? palette[token] : nil }
}

/// A decoder shown under another title ("SJD · repeat-left"); everything else is the inner one's.
final class LabelledDecoder: Decoder {
    let inner: Decoder
    let name: String
    init(_ inner: Decoder, name: String) { self.inner = inner; self.name = name }
    var prompt: [Int] { inner.prompt }
    var generated: [Int] { inner.generated }
    var stats: DecodeStats { inner.stats }
    var isFinished: Bool { inner.isFinished }
    var finishReason: String? { inner.finishReason }
    var mode: String { inner.mode }
    var rule: String { inner.rule }
    var sampler: SamplerSettings? { inner.sampler }
    func step() throws -> [TraceEvent] { try inner.step() }
}
