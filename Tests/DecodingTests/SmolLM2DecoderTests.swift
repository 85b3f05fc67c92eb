// On the real SmolLM2-135M-Instruct: greedy Jacobi and Lookahead give exactly greedy AR's tokens,
// and CNTP's punctuation set is the ten marks as single tokens of this tokenizer.
// Needs the cached model (`tokenloom fetch smollm2`); fails with that hint when it is missing.
import Testing
import TokenloomModels
@testable import TokenloomDecoding
import TokenloomTestSupport

struct SmolLM2DecoderTests {
    static func load() throws -> (CausalModel, any GGUFTokenizer) {
        let path = try TestModels.smolLM2()
        return (try ModelLoader.load(path: path, cacheCapacity: 1024), try TokenizerLoader.load(from: try GGUFFile(path: path)))
    }

    @Test(arguments: [
        "def fibonacci(n):\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n",
        "<|im_start|>user\nGive me three tips for learning to cook.<|im_end|>\n<|im_start|>assistant\n",
    ])
    func jacobiAndLookaheadEqualGreedyAR(prompt text: String) throws {
        let (model, tokenizer) = try Self.load()
        let prompt = tokenizer.encode(text, addSpecial: true)
        let s = DecodeSettings(maxNewTokens: 40, isEnd: { tokenizer.isEndOfGeneration($0) })
        let ar = try AutoregressiveDecoder(model: model, prompt: prompt, settings: s)
        try runToEnd(ar)
        let jacobi = try JacobiDecoder(model: model, prompt: prompt, settings: s)
        try runToEnd(jacobi)
        let lookahead = try LookaheadDecoder(model: model, prompt: prompt, settings: s)
        try runToEnd(lookahead)
        #expect(jacobi.generated == ar.generated, "Jacobi: \(tokenizer.decode(jacobi.generated))\nAR: \(tokenizer.decode(ar.generated))")
        #expect(lookahead.generated == ar.generated, "Lookahead: \(tokenizer.decode(lookahead.generated))\nAR: \(tokenizer.decode(ar.generated))")
        #expect(jacobi.stats.forwardPasses <= ar.stats.forwardPasses)
        #expect(lookahead.stats.forwardPasses <= ar.stats.forwardPasses)
    }

    /// Same seed => the same tokens and trace (timing aside) whatever the kernel thread count.
    @Test func sameSeedSameTraceAtAnyThreadCount() throws {
        let path = try TestModels.smolLM2()
        let tokenizer = try TokenizerLoader.load(from: try GGUFFile(path: path))
        let prompt = tokenizer.encode("Once upon a time", addSpecial: true)
        var traces: [[TraceEvent]] = []
        for threads in [1, 3] {
            let model = try ModelLoader.load(path: path, threads: threads, cacheCapacity: 256)
            let s = DecodeSettings(maxNewTokens: 24, sampler: SamplerSettings(temperature: 1, topP: 0.95), seed: 7,
                                   isEnd: { tokenizer.isEndOfGeneration($0) })
            let sjd = try SJDDecoder(model: model, prompt: prompt, settings: s, window: 8)
            traces.append(untimed(try runToEnd(sjd)))
        }
        #expect(traces[0] == traces[1])
    }

    @Test func punctuationIDsAreTheTenMarks() throws {
        let (_, tokenizer) = try Self.load()
        let ids = CNTPDecoder.punctuationIDs(tokenizer)
        #expect(ids.count == 10)
        let texts = Set(ids.map { tokenizer.decode([$0]) })
        #expect(texts == [".", ",", "\n", "?", "!", ":", ";", ")", "]", "}"])
    }
}
