// `tokenloom generate` on an image model: one decoder over the 256-token grid, a short summary (or
// JSON with the shared stats and an `image` object) and, with --png, the image scaled up as a PNG.
import ArgumentParser
import Foundation
import TokenloomModels
import TokenloomDecoding

struct ImageOutputOptions: ParsableArguments {
    @Option(help: "Image models: write the decoded image to this PNG file.")
    var png: String?

    @Option(parsing: .unconditional, help: "Image models: PNG pixels per image token, 1...64.")
    var scale: Int = 8

    func validate() throws {
        if !(1...64).contains(scale) { throw ValidationError("--scale must be in 1...64, got \(scale)") }
        if let p = png, p.isEmpty { throw ValidationError("--png must name a file") }
    }
}

extension GenerateCommand {
    func runImage(_ target: ModelTarget, spec: DecoderSpec) throws {
        if samples != nil || selfConsistency != nil || trace != nil {
            throw CLIError.usage("--samples, --self-consistency and --trace are for text models; an image model decodes one grid")
        }
        guard let weights = target.imageWeights else { return }
        let text = prompt.prompt
        let prepared = try target.prepare(prompt: text, maxNewTokens: weights.hp.imageTokens)
        guard let m = prepared.image else { return }
        let d = try target.makeDecoder(spec, for: prepared, seed: decoding.seed)
        let wall = try runDecoder(d)
        let tokens = d.generated
        let score = ImageScore(tokens, prompt: text, weights: weights)
        let side = weights.hp.grid * image.scale
        if let path = image.png {
            let png = PNGWriter.encode(rgb: weights.pixels(of: tokens), width: weights.hp.grid, height: weights.hp.grid,
                                       scale: image.scale)
            try writeOutput(Data(png), to: path, what: "PNG file")
        }
        var note: String?
        if !score.trained {
            note = "'\(text)' was not in training" + (score.nearest.map { "; nearest training image: '\($0)'" } ?? "")
        }
        let gates: [ImageGenerateResult.Gate]? = weights.hp.fused ? m.fuserGates.map { .init(token: $0.token, gate: $0.gate) } : nil
        let info = ImageGenerateResult.Image(png: image.png, width: side, height: side, scale: image.scale,
                                             grid: weights.hp.grid, prompt_trained: score.trained,
                                             nearest_reference: score.nearest, pixel_error: score.pixelError,
                                             note: note, fuser_gates: gates)
        let result = ImageGenerateResult(model: target.ref, prompt: text, decoder: spec.kind.rawValue, seed: decoding.seed,
                                         temperature: spec.sampler(on: .image).temperature, promptTokens: prepared.tokens,
                                         tokens: tokens, stats: d.stats, wallMs: wall, finishReason: d.finishReason,
                                         image: info)
        if output.json {
            print(try jsonString(result))
        } else {
            print(result.summary(window: (d as? SJD2Decoder).map { ($0.W, $0.K) }))
        }
    }
}

struct ImageGenerateResult: Encodable {
    struct Gate: Encodable { let token: String; let gate: Double }
    struct Image: Encodable {
        let png: String?
        let width: Int, height: Int, scale: Int, grid: Int
        let prompt_trained: Bool
        let nearest_reference: String?
        let pixel_error: Double?
        let note: String?
        let fuser_gates: [Gate]?
    }
    let model: String
    let prompt: String
    let decoder: String
    let seed: UInt64
    let temperature: Double
    let promptTokens: [Int]
    let tokens: [Int]
    let stats: DecodeStats
    let wallMs: Double
    let finishReason: String?
    let image: Image

    enum Key: String, CodingKey {
        case model, prompt, decoder, seed, temperature, prompt_tokens, tokens, image
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(model, forKey: .model)
        try c.encode(prompt, forKey: .prompt)
        try c.encode(decoder, forKey: .decoder)
        try c.encode(seed, forKey: .seed)
        try c.encode(temperature, forKey: .temperature)
        try c.encode(promptTokens, forKey: .prompt_tokens)
        try c.encode(tokens, forKey: .tokens)
        try encodeRunStats(stats, wallMs: wallMs, tokens: tokens.count, finishReason: finishReason, to: encoder)
        try c.encode(image, forKey: .image)
    }

    /// A few lines for people: what ran, how many passes, what the image is nearest to, where it went.
    func summary(window: (Int, Int)?) -> String {
        let f = { (x: Double) in String(format: "%.2f", x) }
        let how = window.map { " (window \($0.0), levels \($0.1))" } ?? ""
        var lines = ["\(model) · '\(prompt)' · \(decoder)\(how), seed \(seed), temperature \(f(temperature))",
                     "\(tokens.count) image tokens in \(stats.forwardPasses) forward passes (\(f(stats.tokensPerPass)) tokens/pass), "
                     + "\(f(wallMs)) ms, accepted \(stats.accepted)/\(stats.drafted) drafts"]
        if let note = image.note {
            lines.append("note: \(note)")
        } else if let near = image.nearest_reference {
            lines.append("nearest training image: '\(near)'"
                         + (image.pixel_error.map { "; pixel error to the prompt's reference \(f($0)) (0-255)" } ?? ""))
        }
        if let g = image.fuser_gates, !g.isEmpty {
            lines.append("fuser gates: " + g.map { "\($0.token) \(f($0.gate))" }.joined(separator: ", "))
        }
        if let p = image.png { lines.append("wrote \(p) (\(image.width)x\(image.height) pixels, scale \(image.scale))") }
        return lines.joined(separator: "\n")
    }
}
