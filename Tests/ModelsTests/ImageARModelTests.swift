// ImageARModel against the training framework: logits for token and noisy-embedding inputs match the
// reference JSON the recipe wrote with JAX (training/export.py) within 1e-3, for the shipped
// encoder-only and fused models; the fuser with zero-initialised Z_β reproduces the encoder-only
// model exactly; a wide pass gives each row the bits of one-position passes; bad inputs throw; the
// PNG writer's checksums match their definitions.
import Foundation
import Testing
@testable import TokenloomModels
import TokenloomTestSupport

struct ImageReference: Decodable {
    struct Input: Decodable { let token: Int?; let embedding: [Float]?; let level: Int? }
    struct Case: Decodable {
        let prompt: String
        let prompt_tokens: [Int]
        let inputs: [Input]
        let logits: [[Double]]
        let hidden: [[Float]]?
        let gates: [Float]?
    }
    let model: String
    let boi: Int
    let cases: [Case]

    static func load(_ name: String) throws -> ImageReference {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures/image"),
                               "Fixtures/image/\(name).json missing from the test bundle")
        return try JSONDecoder().decode(ImageReference.self, from: Data(contentsOf: url))
    }
}

func builtinImage(_ name: String) throws -> (ImageARWeights, BPETokenizer) {
    let file = try GGUFFile(path: try ModelStore.resolve("builtin:" + name))
    return (try ImageARWeights(file: file), try BPETokenizer(gguf: file))
}

func modelInputs(_ c: ImageReference.Case) -> [ModelInput] {
    c.inputs.map { i in i.embedding.map { .embedding($0, level: i.level ?? 0) } ?? .token(i.token ?? -1) }
}

/// Runs the inputs in two forwards (3, then the rest) so the cache path is exercised. // [k, vocab]
func splitForward(_ m: ImageARModel, _ inputs: [ModelInput]) throws -> [[Float]] {
    let cache = m.makeCache()
    let a = try m.forward(Array(inputs.prefix(3)), cache: cache)
    let b = try m.forward(Array(inputs.dropFirst(3)), cache: cache)
    return (0..<a.rows).map { a.row($0) } + (0..<b.rows).map { b.row($0) }
}

@Suite struct ImageARModelTests {
    func checkReference(_ name: String) throws {
        let (w, tok) = try builtinImage(name)
        let ref = try ImageReference.load(name + "_reference")
        #expect(ref.boi == w.hp.colours)
        for c in ref.cases {
            #expect(tok.encode(c.prompt, addSpecial: false) == c.prompt_tokens, "Swift and llama.cpp tokenise '\(c.prompt)' alike")
            let m = try ImageARModel(weights: w, tokenizer: tok, prompt: c.prompt, promptTokens: c.prompt_tokens,
                                     hidden: c.hidden)
            let rows = try splitForward(m, modelInputs(c))
            #expect(rows.count == c.logits.count)
            var worst = 0.0
            for (r, e) in zip(rows, c.logits) {
                for v in 0..<e.count { worst = max(worst, abs(Double(r[v]) - e[v])) }
            }
            #expect(worst < 1e-3, "'\(c.prompt)': max |Swift - JAX| = \(worst)")
            if let g = c.gates {
                #expect(zip(m.condition.gates, g).allSatisfy { abs($0 - $1) < 1e-3 }, "gates \(m.condition.gates) vs \(g)")
            }
        }
    }

    @Test func encoderOnlyMatchesJAX() throws { try checkReference("emoji") }

    @Test func fusedMatchesJAX() throws { try checkReference("emoji-fused") }

    /// SmolLM2's hidden states computed now equal the ones the fused model was trained on.
    @Test func fusedFeaturesComeFromTheEngine() throws {
        let ref = try ImageReference.load("emoji-fused_reference")
        let (w, _) = try builtinImage("emoji-fused")
        let llm = try LlamaModel(path: try TestModels.smolLM2(), cacheCapacity: 64)
        for c in ref.cases where !c.prompt_tokens.isEmpty {
            let h = try llm.hiddenStates(tokens: c.prompt_tokens, layer: w.hp.llmLayer)
            let expected = try #require(c.hidden)
            // Same engine, same numbers: up to float summation order (relative to the largest state).
            let worst = zip(h, expected).map { zip($0, $1).map { abs($0 - $1) }.max() ?? 0 }.max() ?? 0
            let scale = expected.map { $0.map { abs($0) }.max() ?? 0 }.max() ?? 1
            #expect(worst <= 1e-5 * scale, "'\(c.prompt)': hidden states differ by \(worst) (largest \(scale)); the engine's numerics changed since training/features.py ran: redo stage B")
        }
    }

    /// Mimir's non-destructive start: with Z_β = 0 the fused model is the encoder-only model, exactly.
    @Test func zeroInitialisedFuserIsExactlyEncoderOnly() throws {
        let (w, tok) = try builtinImage("emoji")
        var f = w
        let D = 576, S = w.hp.stabilisers
        f.hp.fused = true; f.hp.llmDim = D; f.hp.llmLayer = 20
        f.zBetaW = [Float](repeating: 0, count: w.hp.d * D); f.zBetaB = [Float](repeating: 0, count: w.hp.d)
        f.llmScale = [Float](repeating: 1, count: D)
        var state: UInt64 = 42
        func noise() -> Float {  // a fixed LCG: arbitrary but repeatable LLM states
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2000) / 100 - 10
        }
        f.instructionHidden = (0..<(S * D)).map { _ in noise() }
        let prompt = "grinning face"
        let ids = tok.encode(prompt, addSpecial: false)
        let hidden = ids.map { _ in (0..<D).map { _ in noise() } }
        let base = try ImageARModel(weights: w, tokenizer: tok, prompt: prompt, promptTokens: ids, hidden: nil)
        let fused = try ImageARModel(weights: f, tokenizer: tok, prompt: prompt, promptTokens: ids, hidden: hidden)
        let inputs: [ModelInput] = [.token(base.boiToken), .token(3), .token(17), .embedding(w.modelSpace(w.normalisedEmbedding(of: 5)), level: 7)]
        let a = try base.forward(inputs, cache: base.makeCache())
        let b = try fused.forward(inputs, cache: fused.makeCache())
        #expect(a.data == b.data)
        #expect(fused.condition.gates.allSatisfy { $0 == 0 })
    }

    /// What makes greedy SJD / Jacobi equal greedy AR exactly: a row's logits have the same bits whether
    /// its pass has 1, 16 or 80 positions (and whatever rows share it), with and without guidance, and
    /// whatever thread budget the wide passes get (AR's 1-position passes here run on one thread).
    @Test(arguments: [Float(1), 3]) func wideForwardHasTheBitsOfOneAtATime(guidance: Float) throws {
        let (w, tok) = try builtinImage("emoji")
        let m = try ImageARModel(weights: w, tokenizer: tok, prompt: "cat face", guidance: guidance)
        let inputs: [ModelInput] = [.token(m.boiToken)] + (0..<99).map { ModelInput.token(($0 * 37 + 11) % w.hp.colours) }
        let one = m.makeCache()
        let alone = try inputs.flatMap { try m.forward([$0], cache: one).data }
        for threads in [1, 2, 3] {
            let mt = try ImageARModel(weights: w, tokenizer: tok, prompt: "cat face", guidance: guidance, threads: threads)
            for widths in [[100], [1, 16, 80, 3], [7, 5, 80, 8]] {
                let c = mt.makeCache()
                var rows: [Float] = [], at = 0
                for n in widths { rows += try mt.forward(Array(inputs[at..<(at + n)]), cache: c).data; at += n }
                #expect(rows.map(\.bitPattern) == alone.map(\.bitPattern),
                        "passes of \(widths) positions, guidance \(guidance), \(threads) threads")
            }
        }
    }

    /// The condition lives in the cache's rows before position 0: a cache made by another prompt's model
    /// (same weights) is refilled with this model's condition, so its logits are this model's.
    @Test func aCacheFromAnotherPromptGetsThisPromptsCondition() throws {
        let (w, tok) = try builtinImage("emoji")
        let cat = try ImageARModel(weights: w, tokenizer: tok, prompt: "cat face")
        let grin = try ImageARModel(weights: w, tokenizer: tok, prompt: "grinning face")
        let inputs: [ModelInput] = [.token(cat.boiToken), .token(4), .token(9)]
        let own = try grin.forward(inputs, cache: grin.makeCache()).data
        let borrowed = try grin.forward(inputs, cache: cat.makeCache()).data
        #expect(own.map(\.bitPattern) == borrowed.map(\.bitPattern))
        #expect(own != (try cat.forward(inputs, cache: cat.makeCache()).data))
    }

    @Test func guidanceOneEqualsConditional() throws {
        let (w, tok) = try builtinImage("emoji")
        let m1 = try ImageARModel(weights: w, tokenizer: tok, prompt: "cat face")
        let m2 = try ImageARModel(weights: w, tokenizer: tok, prompt: "cat face", guidance: 3)
        let u = try ImageARModel(weights: w, tokenizer: tok, prompt: "")
        let inp: [ModelInput] = [.token(m1.boiToken), .token(1)]
        let c = try m1.forward(inp, cache: m1.makeCache()), g = try m2.forward(inp, cache: m2.makeCache())
        let un = try u.forward(inp, cache: u.makeCache())
        for i in 0..<w.hp.colours {   // l_u + 3 (l_c - l_u)
            #expect(abs(g.data[i] - (un.data[i] + 3 * (c.data[i] - un.data[i]))) < 1e-3)
        }
    }

    @Test func badInputsThrow() throws {
        let (w, tok) = try builtinImage("emoji")
        let m = try ImageARModel(weights: w, tokenizer: tok, prompt: "rocket")
        #expect(throws: ModelError.self) { try m.forward([.token(999)], cache: m.makeCache()) }
        #expect(throws: ModelError.self) { try m.forward([.embedding([1, 2], level: 0)], cache: m.makeCache()) }
        #expect(throws: ModelError.self) {
            try m.forward([.embedding([Float](repeating: 0, count: w.hp.d), level: w.hp.levels + 1)], cache: m.makeCache())
        }
        #expect(throws: ModelError.self) { try m.forward(Array(repeating: .token(0), count: 257), cache: m.makeCache()) }
        let (fw, ftok) = try builtinImage("emoji-fused")
        #expect(throws: ModelError.self) { try ImageARModel(weights: fw, tokenizer: ftok, prompt: "cat", llm: nil) }
        #expect(m.promptWasTrained)
        #expect(try !m.with(prompt: "a purple submarine").promptWasTrained)
    }

    @Test func pngChecksumsMatchTheirDefinitions() {
        #expect(PNGWriter.crc32(Array("IEND".utf8)) == 0xAE42_6082)      // every PNG's IEND CRC
        #expect(PNGWriter.adler32(Array("Wikipedia".utf8)) == 0x11E6_0398) // RFC 1950's worked example
        let png = PNGWriter.encode(rgb: [255, 0, 0, 0, 255, 0], width: 2, height: 1, scale: 2)
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        #expect(Array(png.suffix(12)) == [0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82])
    }
}
