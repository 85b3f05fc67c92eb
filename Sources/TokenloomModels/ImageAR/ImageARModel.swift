// ImageARModel: the built-in text-to-image model as a CausalModel. Its sequence is the image part,
//   [BOI][x_0 .. x_254]  ->  logits for x_0 .. x_255 (vocab = colours + 1; BOI is never predicted),
// attending to a fixed condition prefix (ImageCondition). Input slot j carries the row/column
// embedding of the pixel it predicts, j. `.embedding(v, level)` inputs (SJD2) are vectors in the
// token-embedding space plus the learned embedding of their noise level.
// With guidance g != 1 every forward also runs the unconditional prompt and returns
// l_u + g (l_c - l_u) (classifier-free guidance), so decoders need not know about it.
import Foundation

public final class ImageARModel: CausalModel, @unchecked Sendable {
    public let weights: ImageARWeights
    public let tokenizer: BPETokenizer
    public let condition: ImageCondition
    public let unconditional: ImageCondition
    public let guidance: Float
    public let prompt: String
    public let displayName: String
    /// The thread budget of a forward: its wide matrix products and attention split over up to this
    /// many threads where the work pays for it (a 1-position pass stays on the calling thread). The
    /// logits' bits do not depend on it.
    public let threads: Int

    /// The budget when none is asked for: one thread. Measured on a 2-core machine whose other core was
    /// busy, 2 threads doubled SJD's wall time (the pool's second thread competes with the other load),
    /// while on idle cores they cut a 16-position pass by about a quarter: `--threads N` opts in.
    public static let defaultThreads = 1
    public var hp: ImageARHyperparameters { weights.hp }
    public var vocabSize: Int { hp.colours + 1 }
    public var contextLength: Int { hp.imageTokens }
    public var embeddingDim: Int { hp.d }
    /// The begin-of-image token: the one-token prompt decoders start from.
    public var boiToken: Int { hp.colours }
    /// Was this exact prompt (case and surrounding spaces aside) among the training prompts?
    public var promptWasTrained: Bool { weights.prompts.contains(ImageARModel.normalise(prompt)) }

    /// A fused model's gate per prompt token, labelled with the token's text (empty without a fuser).
    public var fuserGates: [(token: String, gate: Double)] {
        guard weights.hp.fused else { return [] }
        return zip(condition.promptTokens, condition.gates).map { tok, g in
            (tokenizer.decode([tok]).trimmingCharacters(in: .whitespaces), Double(g))
        }
    }

    /// A model conditioned on `prompt`. A fused model needs `llm` (SmolLM2) for the prompt's hidden states.
    public convenience init(weights: ImageARWeights, tokenizer: BPETokenizer, prompt: String, llm: LlamaModel? = nil,
                guidance: Float = 1, name: String = "image model", threads: Int = 1) throws {
        let tokens = Array(tokenizer.encode(ImageARModel.normalise(prompt), addSpecial: false).prefix(weights.hp.textLength))
        var hidden: [[Float]]? = nil
        if weights.hp.fused {
            guard let llm else {
                throw ModelError.badInput("\(name) fuses SmolLM2's hidden states: run `tokenloom fetch smollm2` first")
            }
            guard llm.embeddingDim == weights.hp.llmDim else {
                throw ModelError.badInput("\(name) needs an LLM of width \(weights.hp.llmDim), got \(llm.embeddingDim)")
            }
            hidden = try llm.hiddenStates(tokens: tokens, layer: weights.hp.llmLayer)
        }
        try self.init(weights: weights, tokenizer: tokenizer, prompt: prompt, promptTokens: tokens, hidden: hidden,
                      guidance: guidance, name: name, threads: threads)
    }

    /// A model conditioned on given SmolLM2 prompt tokens and (fused) their hidden states.
    public init(weights: ImageARWeights, tokenizer: BPETokenizer, prompt: String, promptTokens: [Int],
                hidden: [[Float]]?, guidance: Float = 1, name: String = "image model", threads: Int = 1) throws {
        guard guidance.isFinite else { throw ModelError.badInput("guidance must be a finite number") }
        self.weights = weights; self.tokenizer = tokenizer; self.prompt = prompt
        self.guidance = guidance; displayName = name; self.threads = max(1, threads)
        condition = try ImageCondition(weights: weights, promptTokens: promptTokens, hidden: hidden)
        unconditional = try ImageCondition(weights: weights, promptTokens: [], hidden: [])
    }

    /// Loads a tokenloom-image GGUF and conditions it on `prompt`.
    public convenience init(path: String, prompt: String, llm: LlamaModel? = nil, guidance: Float = 1,
                            name: String? = nil, threads: Int = 1) throws {
        let file = try GGUFFile(path: path)
        let w = try ImageARWeights(file: file)
        try self.init(weights: w, tokenizer: try BPETokenizer(gguf: file), prompt: prompt, llm: llm,
                      guidance: guidance, name: name ?? (file.metadata["general.name"]?.string ?? "image model"),
                      threads: threads)
    }

    /// The same weights conditioned on another prompt.
    public func with(prompt: String, llm: LlamaModel? = nil, guidance: Float? = nil) throws -> ImageARModel {
        try ImageARModel(weights: weights, tokenizer: tokenizer, prompt: prompt, llm: llm,
                         guidance: guidance ?? self.guidance, name: displayName, threads: threads)
    }

    static func normalise(_ s: String) -> String {
        s.lowercased().trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private var rowsPerForward: Int { guidance == 1 ? 1 : 2 }

    /// Bytes of F32 decoder weights a forward reads (each matrix once, whatever its position count).
    public var weightBytesPerForward: Int { 4 * matrixWeights }

    /// Multiply-adds of the decoder's matrix products per position, both guidance rows (attention's,
    /// which grow with the context, are not counted).
    public var multiplyAddsPerPosition: Int { rowsPerForward * matrixWeights }

    private var matrixWeights: Int {
        weights.decoder.reduce(0) { $0 + $1.wq.count + $1.wk.count + $1.wv.count + $1.wo.count + $1.wUp.count + $1.wDown.count }
            + weights.output.count
    }

    /// Rows before position 0 that hold a condition's keys and values (the longest condition).
    private var prefixRows: Int { hp.textLength + hp.stabilisers }

    public func makeCache() -> KVCache {
        let cache = KVCache(layers: hp.decoderLayers * rowsPerForward, kvDim: hp.d, capacity: contextLength,
                            prefixRows: prefixRows)
        fillPrefix(cache)
        return cache
    }

    /// Writes each guidance row's condition keys and values into the rows just before position 0 of its
    /// layers, so attention reads [condition | cached positions | new rows] as one run, with no copies.
    private func fillPrefix(_ cache: KVCache) {
        for (base, c) in [(0, condition), (hp.decoderLayers, unconditional)].prefix(rowsPerForward) {
            for l in 0..<hp.decoderLayers {
                c.keys[l].withUnsafeBufferPointer { cache.keyRow(base + l, -c.count).update(from: $0.baseAddress!, count: $0.count) }
                c.values[l].withUnsafeBufferPointer { cache.valueRow(base + l, -c.count).update(from: $0.baseAddress!, count: $0.count) }
            }
        }
        cache.prefixOwner = ObjectIdentifier(self)
    }

    public func forward(_ inputs: [ModelInput], cache: KVCache) throws -> Logits {
        let k = inputs.count, d = hp.d, n0 = cache.count
        guard cache.layers == hp.decoderLayers * rowsPerForward, cache.kvDim == d, cache.capacity == contextLength,
              cache.prefixRows == prefixRows else {
            throw ModelError.badInput("the cache was not made by this model (makeCache())")
        }
        // A cache made by another prompt's model (same weights): its rows before 0 hold that condition.
        if cache.prefixOwner != ObjectIdentifier(self) { fillPrefix(cache) }
        guard n0 + k <= contextLength else { throw ModelError.contextFull(needed: n0 + k, context: contextLength) }
        guard k > 0 else { return Logits(rows: 0, vocab: vocabSize, data: []) }
        // Decoder inputs [k, d]: token / BOI / embedding, + level embedding, + pixel (row, col) embedding.
        var x = [Float](repeating: 0, count: k * d)
        for (i, input) in inputs.enumerated() {
            let slot = n0 + i
            var level = 0
            switch input {
            case .token(let t) where t == boiToken:
                for c in 0..<d { x[i * d + c] = weights.boi[c] }
                level = -1
            case .token(let t):
                guard t >= 0 && t < hp.colours else {
                    throw ModelError.badInput("image token \(t) is outside 0..<\(hp.colours) (BOI is \(boiToken))")
                }
                for c in 0..<d { x[i * d + c] = weights.imageTokenEmbedding[t * d + c] }
            case .embedding(let v, let l):
                guard v.count == d else {
                    throw ModelError.badInput("embedding input has \(v.count) values, the model's width is \(d)")
                }
                guard (0...hp.levels).contains(l) else {
                    throw ModelError.badInput("noise level \(l) is outside 0...\(hp.levels)")
                }
                for c in 0..<d { x[i * d + c] = v[c] }
                level = l
            }
            let r = slot / hp.grid, col = slot % hp.grid
            for c in 0..<d {
                x[i * d + c] += weights.rowEmbedding[r * d + c] + weights.colEmbedding[col * d + c]
                if level >= 0 { x[i * d + c] += weights.levelEmbedding[level * d + c] }
            }
        }
        var rows = [run(x, k: k, cache: cache, condition: condition, layerBase: 0)]
        if rowsPerForward == 2 {
            rows.append(run(x, k: k, cache: cache, condition: unconditional, layerBase: hp.decoderLayers))
        }
        cache.advance(by: k)
        let C = hp.colours, V = vocabSize
        var data = [Float](repeating: -1e9, count: k * V)              // [k, colours + 1]; BOI column masked
        for i in 0..<k {
            for c in 0..<C {
                let lc = rows[0][i * C + c]
                data[i * V + c] = rowsPerForward == 2 ? rows[1][i * C + c] + guidance * (lc - rows[1][i * C + c]) : lc
            }
        }
        return Logits(rows: k, vocab: V, data: data)
    }

    /// Decoder blocks for the new rows x [k, d] on one guidance row; writes their K/V to the cache
    /// (layers layerBase ..< layerBase + L) and returns the image logits [k, colours].
    private func run(_ input: [Float], k: Int, cache: KVCache, condition c: ImageCondition, layerBase: Int) -> [Float] {
        var x = input
        let d = hp.d, n0 = cache.count
        let np = c.count + n0                                 // attention prefix: condition, then the cache
        for (l, b) in weights.decoder.enumerated() {
            let cl = layerBase + l
            // The cache's rows -c.count ..< n0 + k: [condition | cached positions | the new rows, which
            // the block writes], [np + k, d] in one run.
            ImageMath.block(b, &x, k: k, hp: hp, keys: cache.keyRow(cl, -c.count), values: cache.valueRow(cl, -c.count),
                            prefixCount: np, causal: true, threads: threads)
        }
        let h = ImageMath.rmsNorm(x, weights.outputNorm, k: k, n: d, eps: hp.eps)
        return ImageMath.matmul(h, weights.output, packs: weights.packs, slot: 0, k: k, n: d, m: hp.colours, threads: threads)
    }
}
