// Image tokens to pixels (the palette that ships in the GGUF) and the SJD2 embedding space helpers:
// normalised embeddings e0 = (E[x] - mu) / sd, and the VP form of each noise level,
// z = alpha_k e0 + sbar_k eps with alpha = 1/sqrt(1+sigma^2), sbar = sigma alpha.

extension ImageARWeights {
    /// RGB bytes [tokens.count * 3] of image tokens (tokens outside the palette are drawn white).
    public func pixels(of tokens: [Int]) -> [UInt8] {
        var out = [UInt8](repeating: 255, count: tokens.count * 3)
        for (i, t) in tokens.enumerated() where t >= 0 && t < hp.colours {
            for c in 0..<3 { out[i * 3 + c] = UInt8(max(0, min(255, palette[t * 3 + c].rounded()))) }
        }
        return out
    }

    /// The palette colour of a token as (r, g, b).
    public func colour(of token: Int) -> (UInt8, UInt8, UInt8) {
        let p = pixels(of: [token])
        return (p[0], p[1], p[2])
    }

    /// e0 = (E[x] - mu) / sd. // [d]
    public func normalisedEmbedding(of token: Int) -> [Float] {
        (0..<hp.d).map { (imageTokenEmbedding[token * hp.d + $0] - mu[$0]) / sd[$0] }
    }

    /// A normalised vector back in the model's input space: sd z + mu. // [d]
    public func modelSpace(_ z: [Float]) -> [Float] {
        (0..<hp.d).map { sd[$0] * z[$0] + mu[$0] }
    }

    /// alpha_k = 1 / sqrt(1 + sigma_k^2).
    public func alpha(level k: Int) -> Float { 1 / (1 + sigmas[k] * sigmas[k]).squareRoot() }
    /// sbar_k = sigma_k / sqrt(1 + sigma_k^2).
    public func sigmaBar(level k: Int) -> Float { sigmas[k] * alpha(level: k) }
}

extension ImageARWeights {
    /// Index of the training prompt whose reference image is nearest (squared pixel distance) to `tokens`.
    public func nearestReference(to tokens: [Int]) -> Int {
        let g = pixels(of: tokens)
        var best = -1, bestD = Double.infinity
        for (i, ref) in references.enumerated() {
            let r = pixels(of: ref)
            var s = 0.0
            for j in 0..<min(g.count, r.count) { let e = Double(g[j]) - Double(r[j]); s += e * e }
            if s < bestD { bestD = s; best = i }
        }
        return best
    }

    /// Mean absolute pixel error (per channel, 0...255) between `tokens` and reference `index`.
    public func pixelError(_ tokens: [Int], reference index: Int) -> Double {
        let g = pixels(of: tokens), r = pixels(of: references[index])
        var s = 0.0
        for j in 0..<min(g.count, r.count) { s += abs(Double(g[j]) - Double(r[j])) }
        return s / Double(max(1, g.count))
    }

    /// Index of a training prompt (case and surrounding spaces aside), if it is one.
    public func promptIndex(_ prompt: String) -> Int? {
        prompts.firstIndex(of: ImageARModel.normalise(prompt))
    }
}
