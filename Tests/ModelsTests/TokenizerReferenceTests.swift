// TokenizerReferenceTests: the SmolLM2 tokenizer against llama.cpp's own token ids and detokenised text
// (Fixtures/tokenizer/smollm2_reference.json, written by Tests/reference/make_tokenizer_reference.py).

import Foundation
import Testing
import TokenloomKernels
@testable import TokenloomModels
import TokenloomTestSupport

struct TokenizerFixture: Decodable {
    struct Case: Decodable { let text: String; let ids: [Int]; let detokenized: String }
    struct Split: Decodable { let text: String; let pieces: [String] }
    let hello_with_add_bos_true: [Int]
    let cases: [Case]
    let pretokenizer_regex: [String: [Split]]
    /// Ids llama.cpp gives with SmolLM2's vocabulary relabelled as another pre-tokenizer.
    let smollm2_vocab_as_other_pre: [String: [Case2]]
    struct Case2: Decodable { let text: String; let ids: [Int] }

    static func load() throws -> TokenizerFixture {
        guard let url = Bundle.module.url(forResource: "smollm2_reference", withExtension: "json", subdirectory: "Fixtures/tokenizer") else {
            throw TokenizerError(path: "Fixtures/tokenizer/smollm2_reference.json", "fixture missing from the test bundle")
        }
        return try JSONDecoder().decode(TokenizerFixture.self, from: Data(contentsOf: url))
    }
}

/// The SmolLM2 tokenizer, read once for all tests.
enum SmolLM2Tokenizer {
    static let shared: Result<BPETokenizer, Error> = Result {
        try BPETokenizer(path: try TestModels.smolLM2())
    }
    static func get() throws -> BPETokenizer { try shared.get() }
}

@Suite struct TokenizerReferenceTests {
    @Test func readsSmolLM2Metadata() throws {
        let tok = try SmolLM2Tokenizer.get()
        #expect(tok.vocabSize == 49152)
        #expect(tok.preTokenizer == .smollm)
        #expect(tok.bosID == 1 && tok.eosID == 2 && tok.unknownID == 0 && tok.paddingID == 2)
        #expect(tok.addBOS == false)
        #expect(tok.tokens[1] == "<|im_start|>")
    }

    @Test func idsMatchLlamaCpp() throws {
        let tok = try SmolLM2Tokenizer.get()
        let fixture = try TokenizerFixture.load()
        #expect(fixture.cases.count >= 40)
        for c in fixture.cases {
            let ids = tok.encode(c.text, addSpecial: false)
            #expect(ids == c.ids, "ids for \(c.text.debugDescription)")
        }
        // add_bos_token is false in this file, so addSpecial adds nothing (as llama.cpp with add_bos=True).
        #expect(tok.encode("Hello", addSpecial: true) == fixture.hello_with_add_bos_true)
    }

    @Test(arguments: [PreTokenizerKind.llama3, .qwen2, .gpt2])
    func otherPreTokenizersMatchLlamaCpp(kind: PreTokenizerKind) throws {
        let tok = try BPETokenizer(gguf: try GGUFFile(path: try TestModels.smolLM2()), preTokenizer: kind)
        let cases = try #require(try TokenizerFixture.load().smollm2_vocab_as_other_pre[kind.rawValue])
        #expect(cases.count >= 40)
        for c in cases {
            #expect(tok.encode(c.text, addSpecial: false) == c.ids, "\(kind) ids for \(c.text.debugDescription)")
        }
    }

    @Test func decodeMatchesLlamaCppAndRoundTrips() throws {
        let tok = try SmolLM2Tokenizer.get()
        for c in try TokenizerFixture.load().cases {
            #expect(tok.decode(c.ids) == c.detokenized, "decode of \(c.text.debugDescription)")
            #expect(tok.decode(tok.encode(c.text, addSpecial: false)) == c.text, "round trip of \(c.text.debugDescription)")
        }
    }

    @Test func roundTripsHardText() throws {
        let tok = try SmolLM2Tokenizer.get()
        let texts = [
            "👩🏽‍💻🧑‍🤝‍🧑🇯🇵🏴󠁧󠁢󠁳󠁣󠁴󠁿", "漢字かなカナ한글", "\t\t  \n\n   \r\n \u{3000}x\u{00A0}y", String(repeating: " ", count: 300),
            "مرحبا 123 שלום", "\u{0301}\u{0301}a\u{20DD}", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟙𝟚𝟛", "a'b's'S'LL'll", "\u{FEFF}bom\u{200D}",
        ]
        for s in texts {
            #expect(tok.decode(tok.encode(s, addSpecial: false)) == s, "round trip of \(s.debugDescription)")
        }
    }

    @Test func streamEqualsWholeDecodeAtEverySplit() throws {
        let tok = try SmolLM2Tokenizer.get()
        for c in try TokenizerFixture.load().cases {
            let whole = tok.decode(c.ids)
            var stream = TokenTextStream(tokenizer: tok)
            var text = ""
            for (k, id) in c.ids.enumerated() {
                let part = stream.push(id)
                // Every yield is whole characters: it is a prefix of the full decode.
                text += part
                #expect(whole.utf8.starts(with: text.utf8), "stream of \(c.text.debugDescription) after \(k + 1) tokens")
            }
            text += stream.finish()
            #expect(text == whole)
        }
    }

    @Test func endOfGenerationTokens() throws {
        let tok = try SmolLM2Tokenizer.get()
        let imEnd = try #require(tok.tokenID("<|im_end|>"))
        let eot = try #require(tok.tokenID("<|endoftext|>"))
        #expect(tok.isEndOfGeneration(imEnd) && tok.isEndOfGeneration(eot))
        #expect(!tok.isEndOfGeneration(try #require(tok.tokenID("<|im_start|>"))))
        #expect(!tok.isEndOfGeneration(tok.encode("hello", addSpecial: false)[0]))
    }

    @Test func chatTemplateIsSmolLM2s() throws {
        let tok = try SmolLM2Tokenizer.get()
        #expect(tok.chatTemplate.style == .chatML(defaultSystem: "You are a helpful AI assistant named SmolLM, trained by Hugging Face"))
        let p = tok.chatTemplate.prompt(user: "Hi")
        #expect(p == "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
                + "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
        let ids = tok.encode(p, addSpecial: true)
        #expect(ids.first == tok.tokenID("<|im_start|>"))
        #expect(ids.filter { $0 == tok.tokenID("<|im_end|>") }.count == 2)
    }

    /// A ~2,000-word text must encode well under 100 ms (the median of 5 runs, measured fresh each run,
    /// so the per-call word cache does not carry over).
    @Test func encodesTwoThousandWordsQuickly() throws {
        let file = try GGUFFile(path: try TestModels.smolLM2())
        let l0 = MonotonicClock.ms()
        let tok = try BPETokenizer(gguf: file)
        let loadMs = MonotonicClock.ms() - l0
        var words: [String] = []
        var rng = SplitMix64(seed: 7)
        let vocabulary = ["the", "model", "decodes", "tokens", "one", "forward", "pass", "at", "a", "time,", "while",
                          "Jacobi", "iterations", "refine", "drafts:", "12.5%", "faster", "naïve", "日本", "🙂", "(see", "§3)"]
        for _ in 0..<2000 { words.append(vocabulary[Int(rng.next() % UInt64(vocabulary.count))]) }
        let text = words.joined(separator: " ")
        var times: [Double] = []
        for _ in 0..<5 {
            let t0 = MonotonicClock.ms()
            let ids = tok.encode(text, addSpecial: false)
            times.append(MonotonicClock.ms() - t0)
            #expect(ids.count > 2000)
        }
        let median = times.sorted()[2]
        print("tokenizer: built from GGUF metadata in \(String(format: "%.1f", loadMs)) ms; encoded 2000 words (\(text.utf8.count) bytes) in \(String(format: "%.2f", median)) ms (median of 5)")
        #expect(median < 100)
    }
}
