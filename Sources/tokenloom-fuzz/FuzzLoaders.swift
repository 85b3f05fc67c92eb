// FuzzLoaders: hands a parsed GGUF file to the tokenizer loader and the model loaders, and runs a
// 1-2 token forward pass on whatever loads (after a size guard, so absurd shapes are refused first).
import TokenloomModels

enum FuzzLoaders {
    /// Largest buffer (in floats) a fuzz forward may need: caches, activations, logits.
    static let maxFloats = 8 << 20
    /// Cache positions a fuzzed Llama gets (the trained context may claim anything).
    static let cacheCapacity = 8

    /// Outcome label: "loaded+forward", "tokenizer: …" / "loader: …" error kinds, or "refused: …".
    static func load(_ file: GGUFFile) -> String {
        let tokenizer = loadTokenizer(file)
        switch file.architecture {
        case "tokenloom-image": return loadImage(file, tokenizer: tokenizer)
        case let a? where ModelLoader.llamaArchitectures.contains(a): return loadLlama(file, tokenizer: tokenizer)
        default: return "parsed (\(tokenizer))"
        }
    }

    static func loadTokenizer(_ file: GGUFFile) -> String {
        do {
            let t = try TokenizerLoader.load(from: file)
            let ids = t.encode("ab a\u{00e9} <|endoftext|>", addSpecial: true)
            _ = t.decode(ids)
            for id in ids.prefix(4) { _ = t.piece(id); _ = t.bytes(of: id); _ = t.isEndOfGeneration(id) }
            // Ids the tokenizer does not know must be tolerated too.
            _ = t.decode([-1, t.vocabSize, Int.max])
            return "tokenizer ok"
        } catch {
            return "tokenizer error"
        }
    }

    static func loadLlama(_ file: GGUFFile, tokenizer: String) -> String {
        let model: LlamaModel
        do { model = try LlamaModel(file: file, cacheCapacity: cacheCapacity, threads: 1) }
        catch { return "loader: \(kind(error))" }
        let hp = model.hp
        let need = [hp.layers * hp.kvDim * model.contextLength * 2, 2 * hp.vocab, 2 * hp.feedForward * 4,
                    2 * hp.qDim * 4, 2 * hp.embedding * 4]
        guard need.allSatisfy({ $0 >= 0 && $0 <= maxFloats }) else { return "refused: llama too large" }
        return forward(model, tokens: [0, min(1, hp.vocab - 1)])
    }

    static func loadImage(_ file: GGUFFile, tokenizer: String) -> String {
        let weights: ImageARWeights
        let bpe: BPETokenizer
        do {
            weights = try ImageARWeights(file: file)
            bpe = try BPETokenizer(gguf: file)
        } catch { return "loader: \(kind(error))" }
        let h = weights.hp
        let need = [h.decoderLayers * h.d * h.imageTokens * 2, h.textLength * h.d * 4, h.ffn * 4,
                    h.llmDim * h.textLength, h.colours * 4]
        guard need.allSatisfy({ $0 >= 0 && $0 <= maxFloats }) else { return "refused: image too large" }
        let model: ImageARModel
        do {
            let tokens = Array(bpe.encode("sun", addSpecial: false).prefix(h.textLength))
            let hidden: [[Float]]? = h.fused ? tokens.map { _ in [Float](repeating: 0.5, count: h.llmDim) } : nil
            model = try ImageARModel(weights: weights, tokenizer: bpe, prompt: "sun", promptTokens: tokens,
                                     hidden: hidden, guidance: 2)
        } catch { return "loader: \(kind(error))" }
        return forward(model, tokens: [model.boiToken, 0])
    }

    static func forward(_ model: CausalModel, tokens: [Int]) -> String {
        let cache = model.makeCache()
        do {
            let logits = try model.forward(tokens: Array(tokens.prefix(max(0, model.contextLength))), cache: cache)
            _ = logits.data.first
            return "loaded+forward"
        } catch { return "forward: \(kind(error))" }
    }

    /// A short kind for the summary: the error's type and case name (no paths, no numbers).
    static func kind(_ error: Error) -> String {
        if let e = error as? GGUFError { return "GGUFError.\(e.kind)" }
        let label = Mirror(reflecting: error).children.first?.label
        return "\(type(of: error))" + (label.map { ".\($0)" } ?? "")
    }
}
