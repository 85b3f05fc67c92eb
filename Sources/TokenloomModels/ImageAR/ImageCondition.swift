// ImageCondition: a prompt turned into what the image decoder attends to. The text encoder reads the
// prompt's SmolLM2 tokens; the Mimir-style fuser adds the LLM's hidden states,
//   e = E + Z_θ(E) + Z_β(s ⊙ RMSNorm(H)),   stabilisers e_s = e_l + Z_β(s ⊙ RMSNorm(h_instr)),
// and the decoder's blocks turn [e][e_s] into per-layer keys and values (a fixed attention prefix).

public struct ImageCondition: Sendable {
    /// SmolLM2 token ids of the prompt (at most T; longer prompts are cut).
    public let promptTokens: [Int]
    /// Per prompt token: the fuser's share |Z_β(·)| / (|E + Z_θ(E)| + |Z_β(·)|); zeros without an LLM.
    public let gates: [Float]
    /// Prompt tokens the encoder has no embedding for (mapped to its unknown row).
    public let unknownTokens: Int
    /// Condition positions (prompt tokens + stabilisers).
    public let count: Int
    /// keys[l], values[l]: [count, d] for decoder layer l.
    let keys: [[Float]]
    let values: [[Float]]

    /// Builds the condition. `hidden` ([tokens][llmDim], the LLM layer's states of `promptTokens`) is
    /// required by a fused model and ignored by an encoder-only one.
    public init(weights w: ImageARWeights, promptTokens all: [Int], hidden: [[Float]]?) throws {
        let hp = w.hp, d = hp.d
        let tokens = Array(all.prefix(hp.textLength))
        let n = tokens.count
        promptTokens = tokens
        if hp.fused {
            guard let h = hidden, h.count >= n, h.prefix(n).allSatisfy({ $0.count == hp.llmDim }) else {
                throw ModelError.badInput("the fused image model needs \(n) LLM hidden states of width \(hp.llmDim)")
            }
        }
        // Text encoder: bidirectional blocks over the prompt tokens.   E: [n, d]
        let index = Dictionary(w.textVocab.enumerated().map { ($1, $0 + 1) }, uniquingKeysWith: { first, _ in first })
        let local = tokens.map { index[$0] ?? 0 }
        unknownTokens = local.filter { $0 == 0 }.count
        var x = [Float](repeating: 0, count: n * d)
        for (i, t) in local.enumerated() {
            for c in 0..<d { x[i * d + c] = w.textTokenEmbedding[t * d + c] + w.textPosition[i * d + c] }
        }
        for b in w.encoder {
            _ = ImageMath.block(b, &x, k: n, hp: hp, prefixK: [], prefixV: [], prefixCount: 0, causal: false)
        }
        let E = ImageMath.rmsNorm(x, w.textOutputNorm, k: n, n: d, eps: hp.eps)
        // Fuser.   base = E + Z_θ(E); llm = Z_β(s ⊙ RMSNorm(H)); e = base + llm      [n, d]
        var e = ImageMath.matmul(E, w.zThetaW, k: n, n: d, m: d)
        for i in 0..<(n * d) { e[i] += E[i] + w.zThetaB[i % d] }
        var gates = [Float](repeating: 0, count: n)
        var stab = w.stabiliser                                          // [S, d]
        if hp.fused, let h = hidden {
            let llm = ImageCondition.llmBranch(w, h.prefix(n).flatMap { $0 }, rows: n)
            for i in 0..<n {
                var nb: Float = 0, nl: Float = 0
                for c in 0..<d { nb += e[i * d + c] * e[i * d + c]; nl += llm[i * d + c] * llm[i * d + c] }
                nb = nb.squareRoot(); nl = nl.squareRoot()
                gates[i] = nb + nl > 0 ? nl / (nb + nl) : 0
                for c in 0..<d { e[i * d + c] += llm[i * d + c] }
            }
            let s = ImageCondition.llmBranch(w, w.instructionHidden, rows: hp.stabilisers)
            for i in 0..<stab.count { stab[i] += s[i] }
        }
        self.gates = gates
        // Decoder prefix: [e (positions 0..<n)][e_s (positions T..<T+S)] through the causal blocks.
        let m = n + hp.stabilisers
        var c = e + stab                                                 // [m, d]
        for i in 0..<m {
            let p = i < n ? i : hp.textLength + (i - n)
            for j in 0..<d { c[i * d + j] += w.condPosition[p * d + j] }
        }
        var keys: [[Float]] = [], values: [[Float]] = []
        for b in w.decoder {
            let (k, v) = ImageMath.block(b, &c, k: m, hp: hp, prefixK: [], prefixV: [], prefixCount: 0, causal: true)
            keys.append(k); values.append(v)
        }
        self.keys = keys; self.values = values; count = m
    }

    /// Z_β(s ⊙ RMSNorm(H)) for H [rows, llmDim]: [rows, d].
    static func llmBranch(_ w: ImageARWeights, _ H: [Float], rows: Int) -> [Float] {
        let normed = ImageMath.rmsNorm(H, w.llmScale, k: rows, n: w.hp.llmDim, eps: w.hp.eps)
        var y = ImageMath.matmul(normed, w.zBetaW, k: rows, n: w.hp.llmDim, m: w.hp.d)
        for i in 0..<y.count { y[i] += w.zBetaB[i % w.hp.d] }
        return y
    }
}
