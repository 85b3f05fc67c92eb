// Image models in the CLI: opening a tokenloom-image GGUF (a fused model also loads SmolLM2), conditioning
// it on a prompt, which decoders make sense on its 256-token grid and their settings, and the facts
// about a decoded image (nearest training reference, pixel error) that generate and bench report.
import Foundation
import TokenloomModels
import TokenloomDecoding

struct ImageModelCLI {
    let ref: String
    let weights: ImageARWeights
    let tokenizer: BPETokenizer
    /// SmolLM2 for a fused model's hidden states; nil for an encoder-only model.
    let llm: LlamaModel?
    var hp: ImageARHyperparameters { weights.hp }

    /// The image model `options.model` names, or nil when it names another kind of model.
    static func open(_ options: ModelOptions) throws -> ImageModelCLI? {
        let path: String
        do { path = try ModelStore.resolve(options.model) } catch { throw CLIError.data("\(error)") }
        let file = try GGUFFile(path: path)
        guard file.architecture == "tokenloom-image" else { return nil }
        let weights = try ImageARWeights(file: file)
        var llm: LlamaModel?
        if weights.hp.fused {
            guard let smol = try? ModelStore.resolve("smollm2") else {
                throw CLIError.data("\(options.model) fuses SmolLM2's hidden states, which is not in the model cache: "
                                    + "run `tokenloom fetch smollm2` first")
            }
            guard let l = try ModelLoader.load(path: smol, threads: options.threads) as? LlamaModel else {
                throw CLIError.data("\(options.model) needs SmolLM2 (a llama model) for its fuser")
            }
            llm = l
        }
        return ImageModelCLI(ref: options.model, weights: weights, tokenizer: try BPETokenizer(gguf: file), llm: llm)
    }

    /// The model conditioned on `prompt`.
    func conditioned(on prompt: String) throws -> ImageARModel {
        try ImageARModel(weights: weights, tokenizer: tokenizer, prompt: prompt, llm: llm, name: ref)
    }

    /// The one-token prompt every image decoder starts from.
    var boi: [Int] { [hp.colours] }

    /// Refuses decoders that do not make sense on an image grid.
    static func check(_ kind: DecoderKind) throws {
        switch kind {
        case .ar, .jacobi, .sjd, .sjd2: return
        case .cntp:
            throw CLIError.usage("cntp branches on text (trials end at punctuation); on an image model use ar, jacobi, sjd or sjd2")
        case .lookahead:
            throw CLIError.usage("lookahead guesses from text n-grams; on an image model use ar, jacobi, sjd or sjd2")
        }
    }

    /// The decoder spec on the grid: `--init repeat` is the spatial repeat-left scheme (grid width).
    func spec(_ kind: DecoderKind, _ options: DecoderOptions, initRandom: Bool? = nil) -> DecoderSpec {
        var s = options.spec(kind)
        if s.gridWidth == nil { s.gridWidth = hp.grid }
        if let r = initRandom { s.initRandom = r }
        return s
    }

    /// Settings over the whole grid, drafts restricted to image tokens; temperature 1 by default
    /// (greedy decoding of this model collapses to flat blobs), 0 for the greedy-only decoders.
    func settings(_ kind: DecoderKind, _ options: DecoderOptions, seed: UInt64) -> DecodeSettings {
        let t = options.temperature ?? (kind.greedyOnly ? 0 : 1)
        return DecodeSettings(maxNewTokens: hp.imageTokens,
                              sampler: SamplerSettings(temperature: t, topK: options.topK, topP: options.topP),
                              seed: seed, draftTokens: Array(0..<hp.colours))
    }

    /// Builds a decoder, turning bad settings into a usage error.
    func make(_ spec: DecoderSpec, model: ImageARModel, settings: DecodeSettings) throws -> Decoder {
        do {
            return try spec.make(model: model, prompt: boi, settings: settings)
        } catch let e as DecodeError { throw CLIError.usage(e.description) }
    }

    /// What a decoded grid is nearest to, and how far it is from its own prompt's reference.
    struct Score {
        let trained: Bool
        let nearest: String?
        let pixelError: Double?
        let retrieved: Bool?
    }

    func score(_ tokens: [Int], prompt: String) -> Score {
        let near = weights.references.isEmpty ? nil : weights.nearestReference(to: tokens)
        let nearest = near.flatMap { $0 >= 0 && $0 < weights.prompts.count ? weights.prompts[$0] : nil }
        guard let own = weights.promptIndex(prompt), own < weights.references.count else {
            return Score(trained: false, nearest: nearest, pixelError: nil, retrieved: nil)
        }
        return Score(trained: true, nearest: nearest, pixelError: weights.pixelError(tokens, reference: own),
                     retrieved: near == own)
    }
}
