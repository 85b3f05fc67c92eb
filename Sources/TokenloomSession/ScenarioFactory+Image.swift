// The image half of ScenarioFactory: the built-in text-to-image model conditioned on the prompt
// (a fused model also loads SmolLM2 for its hidden states), its decoders (AR, SJD, SJD2, …) over
// the image vocabulary, the palette presenter and the fuser's gates.
import Foundation
import TokenloomDecoding
import TokenloomModels

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

extension ScenarioFactory {
    static func buildImage(_ scenario: Scenario, path: String, file: GGUFFile) throws -> Workspace {
        let weights = try ImageARWeights(file: file)
        var llm: LlamaModel?
        if weights.hp.fused {
            let smol = try ModelStore.resolve("smollm2")
            guard let l = try ModelLoader.load(path: smol, threads: scenario.threads) as? LlamaModel else {
                throw SessionError.badScenario("\(scenario.modelRef) needs SmolLM2 (a llama model) for its fuser")
            }
            llm = l
        }
        let name = scenario.modelRef
        let model = try ImageARModel(weights: weights, tokenizer: try BPETokenizer(gguf: file), prompt: scenario.prompt,
                                     llm: llm, name: name)
        let prompt = [model.boiToken]
        let settings = { (choice: DecoderChoice) in
            DecodeSettings(maxNewTokens: weights.hp.imageTokens,
                           sampler: SamplerSettings(temperature: choice.temperature, topK: choice.topK, topP: choice.topP),
                           seed: scenario.seed, draftTokens: Array(0..<weights.hp.colours),
                           topAlternatives: ScenarioFactory.inspectorAlternatives)
        }
        var decoders: [Decoder] = []
        for choice in scenario.decoders {
            let k = try kind(choice.name)
            var spec = DecoderSpec(kind: k)
            spec.window = choice.window
            spec.levels = choice.levels
            if let scheme = choice.initScheme {
                spec.initRandom = scheme == "random"
                spec.gridWidth = weights.hp.grid
            }
            var c = choice
            if k.greedyOnly { c.temperature = 0 }
            decoders.append(try spec.make(model: model, prompt: prompt, settings: settings(c)))
        }
        var fuser: [FuserGate] = []
        if weights.hp.fused {
            let c = model.condition
            fuser = zip(c.promptTokens, c.gates).map { tok, g in
                FuserGate(label: model.tokenizer.decode([tok]).trimmingCharacters(in: .whitespaces), value: Double(g))
            }
        }
        var note: String? = nil
        if !model.promptWasTrained {
            note = "'\(scenario.prompt)' is not a training prompt; try: \(weights.prompts.prefix(4).joined(separator: ", "))"
        }
        return Workspace(decoders: decoders, presenter: PalettePresenter(weights: weights, firstPosition: prompt.count),
                         title: "\(name) · \(scenario.prompt)", note: note, fuser: fuser)
    }
}
