// ModelTarget: the one builder from a model reference and decoder specs to ready decoders, for text
// and image models alike. It resolves and loads the model (an image model also loads SmolLM2 when it
// fuses its hidden states), refuses decoders the model cannot run, encodes or conditions on the
// prompt, and builds each decoder with the settings its kind and the model call for.
import TokenloomModels

public final class ModelTarget: @unchecked Sendable {
    public enum Content {
        case text(model: CausalModel, tokenizer: any GGUFTokenizer)
        /// `llm`: SmolLM2 for a fused model's hidden states; nil for an encoder-only model.
        case image(weights: ImageARWeights, tokenizer: BPETokenizer, llm: LlamaModel?)
    }

    /// The reference as the user gave it ("smollm2", "builtin:emoji", a path).
    public let ref: String
    public let path: String
    public let content: Content
    /// The kernel thread budget an image model's forwards get (a text model holds its own); without
    /// --threads, ImageARModel.defaultThreads.
    public let imageThreads: Int

    public var domain: ModelDomain {
        if case .image = content { return .image }
        return .text
    }

    /// The image model's weights; nil for a text model.
    public var imageWeights: ImageARWeights? {
        if case .image(let w, _, _) = content { return w }
        return nil
    }

    init(ref: String, path: String, content: Content, imageThreads: Int = 1) {
        self.ref = ref; self.path = path; self.content = content; self.imageThreads = max(1, imageThreads)
    }

    /// How a model behind an inference server (`http://HOST:PORT/v1#MODEL`) is reached: set once
    /// from the command line, read by every load of such a reference.
    nonisolated(unsafe) public static var remote = RemoteSetup()

    public struct RemoteSetup: Sendable {
        /// The GGUF (a path or a store name) whose tokenizer matches the served model; its weights are not loaded.
        public var tokenizer: String?
        public var options = RemoteOptions()
        public init() {}
    }

    /// Which kind of model `ref` names, reading only the file's header.
    public static func domain(of ref: String) throws -> ModelDomain {
        if RemoteEndpoint.isRemote(ref) { return .text }
        return try GGUFFile(path: try ModelStore.resolve(ref)).architecture == ImageARWeights.architecture ? .image : .text
    }

    /// Resolves and loads `ref`. `specs` are checked against the kind of model first (from the
    /// file's header), so a decoder the model cannot run is refused before any weights load.
    public static func load(_ ref: String, threads: Int? = nil, checking specs: [DecoderSpec] = []) throws -> ModelTarget {
        if RemoteEndpoint.isRemote(ref) { return try loadRemote(ref, checking: specs) }
        let path = try ModelStore.resolve(ref)
        let file = try GGUFFile(path: path)
        let domain: ModelDomain = file.architecture == ImageARWeights.architecture ? .image : .text
        for s in specs { try s.entry.check(domain); try s.validate() }
        guard file.architecture == ImageARWeights.architecture else {
            let model = try ModelLoader.load(path: path, threads: threads)
            return ModelTarget(ref: ref, path: path, content: .text(model: model, tokenizer: try TokenizerLoader.load(from: file)))
        }
        let weights = try ImageARWeights(file: file)
        var llm: LlamaModel?
        if weights.hp.fused {
            let smol: String
            do { smol = try ModelStore.resolve("smollm2") } catch {
                throw DecodeError.unavailable("\(ref) fuses SmolLM2's hidden states, which is not in the model cache: "
                                           + "run `tokenloom fetch smollm2` first")
            }
            guard let l = try ModelLoader.load(path: smol, threads: threads) as? LlamaModel else {
                throw DecodeError.unavailable("\(ref) needs SmolLM2 (a llama model) for its fuser")
            }
            llm = l
        }
        return ModelTarget(ref: ref, path: path, content: .image(weights: weights, tokenizer: try BPETokenizer(gguf: file), llm: llm),
                           imageThreads: threads ?? ImageARModel.defaultThreads)
    }

    /// A model behind an inference server, with the tokenizer of a local GGUF the user names.
    static func loadRemote(_ ref: String, checking specs: [DecoderSpec]) throws -> ModelTarget {
        let endpoint = try RemoteEndpoint(ref)
        for s in specs { try s.entry.check(.text); try s.validate() }
        guard let tok = remote.tokenizer else {
            throw DecodeError.badSettings("a served model needs its tokenizer: name a GGUF of the same model with --tokenizer (its weights are not loaded)")
        }
        let path = try ModelStore.resolve(tok)
        let file = try GGUFFile(path: path)
        let tokenizer = try TokenizerLoader.load(from: file)
        let context = min(1 << 20, max(1, ((try? file.optionalInt("\(file.architecture ?? "llama").context_length")) ?? nil) ?? 8192))
        let model = try RemoteModel(endpoint: endpoint, tokenizer: tokenizer, options: remote.options, contextLength: context)
        return ModelTarget(ref: ref, path: ref, content: .text(model: model, tokenizer: tokenizer))
    }

    /// The remote model, when this target is one.
    public var remoteModel: RemoteModel? {
        if case .text(let m, _) = content { return m as? RemoteModel }
        return nil
    }

    /// A display name for titles: the model's own name for a text model, the reference for an image model.
    public var displayName: String {
        if case .text(let m, _) = content { return m.displayName }
        return ref
    }

    /// Refuses a spec this model cannot run, with the registry's one sentence.
    public func check(_ spec: DecoderSpec) throws {
        try spec.entry.check(domain)
        try spec.validate()
    }

    /// A prompt made ready for decoding: the model to run (an image model conditioned on the text),
    /// the prompt tokens, and how many new tokens to make.
    public struct Prepared {
        public let text: String
        public let model: CausalModel
        public let tokens: [Int]
        public let maxNewTokens: Int
        /// The conditioned image model; nil for text.
        public let image: ImageARModel?
        let isEnd: (@Sendable (Int) -> Bool)?
        let punctuation: Set<Int>
        let draftTokens: [Int]?
        let gridWidth: Int?
    }

    /// Encodes (text, optionally in the chat template) or conditions on (image) `text`. On an image
    /// model the grid fixes the number of new tokens and `maxNewTokens` is ignored.
    public func prepare(prompt text: String, chat: Bool = false, maxNewTokens: Int) throws -> Prepared {
        guard text.contains(where: { !$0.isWhitespace }) else { throw DecodeError.badInput("the prompt must not be empty") }
        switch content {
        case .text(let model, let tokenizer):
            guard maxNewTokens >= 1 else { throw DecodeError.badSettings("max new tokens must be >= 1, got \(maxNewTokens)") }
            let tokens = tokenizer.encode(chat ? tokenizer.chatTemplate.prompt(user: text) : text, addSpecial: true)
            guard !tokens.isEmpty else { throw DecodeError.badInput("the prompt encodes to no tokens") }
            guard maxNewTokens <= model.contextLength - tokens.count else {
                throw DecodeError.badSettings("the prompt (\(tokens.count) tokens) plus \(maxNewTokens) new tokens "
                                              + "does not fit the context of \(model.contextLength)")
            }
            return Prepared(text: text, model: model, tokens: tokens, maxNewTokens: maxNewTokens, image: nil,
                            isEnd: { tokenizer.isEndOfGeneration($0) },
                            punctuation: CNTPDecoder.punctuationIDs(tokenizer), draftTokens: nil, gridWidth: nil)
        case .image(let weights, let tokenizer, let llm):
            let model = try ImageARModel(weights: weights, tokenizer: tokenizer, prompt: text, llm: llm, name: ref,
                                         threads: imageThreads)
            return Prepared(text: text, model: model, tokens: [model.boiToken], maxNewTokens: weights.hp.imageTokens,
                            image: model, isEnd: nil, punctuation: [], draftTokens: Array(0..<weights.hp.colours),
                            gridWidth: weights.hp.grid)
        }
    }

    /// The settings `spec` decodes `prepared` with.
    public func settings(_ spec: DecoderSpec, for prepared: Prepared, seed: UInt64, topAlternatives: Int = 0) -> DecodeSettings {
        DecodeSettings(maxNewTokens: prepared.maxNewTokens, sampler: spec.sampler(on: domain), seed: seed,
                       isEnd: prepared.isEnd, draftTokens: prepared.draftTokens, topAlternatives: topAlternatives)
    }

    /// A ready decoder.
    public func makeDecoder(_ spec: DecoderSpec, for prepared: Prepared, seed: UInt64, topAlternatives: Int = 0) throws -> Decoder {
        try check(spec)
        let settings = settings(spec, for: prepared, seed: seed, topAlternatives: topAlternatives)
        return try spec.make(DecoderInputs(model: prepared.model, prompt: prepared.tokens, settings: settings,
                                           punctuation: prepared.punctuation, gridWidth: prepared.gridWidth))
    }
}
