// TokenizerUnitTests: the pieces of the BPE tokenizer against their definitions: the pre-tokenizer scanners
// against the regexes llama.cpp names (splits by Python's `regex` module in the fixture), GPT-2's byte map,
// merge order on a hand-built vocabulary, the incremental UTF-8 decoder, chat formats and bad metadata.

import Testing
import TokenloomKernels
@testable import TokenloomModels
import TokenloomTestSupport

@Suite struct TokenizerUnitTests {
    @Test(arguments: [PreTokenizerKind.llama3, .qwen2, .gpt2])
    func scannerMatchesItsRegex(kind: PreTokenizerKind) throws {
        let splits = try #require(try TokenizerFixture.load().pretokenizer_regex[kind.rawValue])
        #expect(splits.count >= 40)
        for s in splits {
            #expect(PreTokenizer.pieces(s.text, kind: kind) == s.pieces, "\(kind) pieces of \(s.text.debugDescription)")
        }
    }

    @Test func smollmIsolatesEveryDigit() {
        #expect(PreTokenizer.pieces("in 2024, v3.14", kind: .smollm) == ["in", " ", "2", "0", "2", "4", ",", " v", "3", ".", "1", "4"])
        #expect(PreTokenizer.pieces("in 2024", kind: .llama3) == ["in", " ", "202", "4"])
    }

    @Test func ggufPreNamesMapToScanners() {
        #expect(PreTokenizerKind(ggufName: "llama-bpe") == .llama3)
        #expect(PreTokenizerKind(ggufName: "smollm") == .smollm)
        #expect(PreTokenizerKind(ggufName: "qwen2") == .qwen2)
        #expect(PreTokenizerKind(ggufName: "gpt-2") == .gpt2)
        #expect(PreTokenizerKind(ggufName: "no-such-thing") == nil)
    }

    @Test func byteMapIsGPT2s() {
        // Printable bytes stand for themselves; space is U+0120 'Ġ' and newline U+010A 'Ċ' (GPT-2's table).
        #expect(ByteLevel.byteToScalar[Int(UInt8(ascii: "A"))] == "A")
        #expect(ByteLevel.byteToScalar[0x20] == "\u{0120}")
        #expect(ByteLevel.byteToScalar[0x0A] == "\u{010A}")
        #expect(ByteLevel.byteToScalar[0xAD] == "\u{0143}")
        #expect(Set(ByteLevel.byteToScalar).count == 256)
        let all = (0...255).map { UInt8($0) }
        #expect(ByteLevel.decode(ByteLevel.encode(all)) == all)
    }

    /// A toy vocabulary: merges apply lowest rank first, leftmost on ties, wherever they sit in the word.
    func toy(_ merges: [String], extra: [String] = []) throws -> BPETokenizer {
        let bytes = (0...255).map { String(ByteLevel.byteToScalar[$0]) }
        let merged = merges.map { $0.replacingOccurrences(of: " ", with: "") }
        return try BPETokenizer(tokens: bytes + merged + extra, merges: merges, preTokenizer: .gpt2)
    }

    @Test func mergesByRank() throws {
        let tok = try toy(["a b", "b c", "ab c", "a a", "aa a"])
        func pieces(_ s: String) -> [String] { tok.encode(s, addSpecial: false).map { tok.tokens[$0] } }
        #expect(pieces("abc") == ["abc"])          // a b (rank 0) first, then ab c
        #expect(pieces("bcab") == ["bc", "ab"])
        #expect(pieces("aaaa") == ["aa", "aa"])    // leftmost first on equal rank
        #expect(pieces("aaa") == ["aaa"])
        #expect(pieces("xabcx") == ["x", "abc", "x"])
        // A long word takes the heap path without quadratic blow-up and still merges pairwise.
        let long = String(repeating: "a", count: 10_000)
        #expect(pieces(long) == [String](repeating: "aa", count: 5_000))
    }

    @Test func mergeResultMissingFromVocabularyFallsBackToBytes() throws {
        // "x y" merges to "xy", which the vocabulary lacks: the word keeps its byte tokens.
        let bytes = (0...255).map { String(ByteLevel.byteToScalar[$0]) }
        let tok = try BPETokenizer(tokens: bytes, merges: ["x y"], preTokenizer: .gpt2)
        let ids = tok.encode("xy", addSpecial: false)
        #expect(ids.map { tok.tokens[$0] } == ["x", "y"])
    }

    @Test func specialTokensMatchLongestFirstAndBOSFollowsTheFlag() throws {
        let bytes = (0...255).map { String(ByteLevel.byteToScalar[$0]) }
        let tokens = bytes + ["<s>", "<|a|>", "<|a|>x", "<user>"]
        var types = [TokenType](repeating: .normal, count: tokens.count)
        types[256] = .control; types[257] = .control; types[258] = .control; types[259] = .userDefined
        let tok = try BPETokenizer(tokens: tokens, types: types, merges: [], preTokenizer: .gpt2, bosID: 256, addBOS: true)
        #expect(tok.encode("<|a|>x<|a|>", addSpecial: false) == [258, 257])
        #expect(tok.encode("q", addSpecial: true) == [256, try #require(tok.tokenID("q"))])
        // Control tokens are text when not parsing specials; user-defined ones always match.
        #expect(!tok.encode("<|a|>", addSpecial: false, parseSpecial: false).contains(257))
        #expect(tok.encode("<user>", addSpecial: false, parseSpecial: false) == [259])
        #expect(tok.decode([256, 259]) == "<s><user>")
    }

    @Test func incompleteTailFollowsUTF8() {
        #expect(TokenTextStream.incompleteTail([0x61]) == 0)
        #expect(TokenTextStream.incompleteTail([0x61, 0xE6]) == 1)
        #expect(TokenTextStream.incompleteTail([0xE6, 0x97]) == 2)
        #expect(TokenTextStream.incompleteTail([0xE6, 0x97, 0xA5]) == 0)
        #expect(TokenTextStream.incompleteTail([0xF0, 0x9F, 0x98]) == 3)
        #expect(TokenTextStream.incompleteTail([0xE0, 0x80]) == 0)   // overlong: already an error
        #expect(TokenTextStream.incompleteTail([0xC0]) == 0)         // never a lead byte
        #expect(TokenTextStream.incompleteTail([0x80, 0x80, 0x80]) == 0)
    }

    /// Any byte split of any byte string, valid or not, streams to exactly the whole decode.
    @Test func streamEqualsWholeDecodeForRandomBytes() {
        var rng = SplitMix64(seed: 11)
        let alphabet: [UInt8] = [0x61, 0x20, 0x80, 0x8F, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xE6, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF]
        for _ in 0..<3000 {
            let n = Int(rng.next() % 12)
            let bytes = (0..<n).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            var chunks: [[UInt8]] = []
            var i = 0
            while i < n { let k = 1 + Int(rng.next() % 3); chunks.append(Array(bytes[i..<min(n, i + k)])); i += k }
            var s = TokenTextStream(tokenizer: NoTokenizer())
            var text = ""
            for c in chunks { text += s.push(bytes: c) }
            text += s.finish()
            #expect(text == String(decoding: bytes, as: UTF8.self), "bytes \(bytes) in chunks \(chunks)")
        }
    }

    @Test func chatFormats() {
        let llama = ChatTemplate(template: "{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' }}")
        #expect(llama.style == .llama3)
        #expect(llama.prompt(user: "Hi") == "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n")
        let plain = ChatTemplate(template: "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>{% endfor %}")
        #expect(plain.style == .chatML(defaultSystem: nil))
        #expect(plain.render([ChatMessage(role: "system", content: "S"), ChatMessage(role: "user", content: "U")], addGenerationPrompt: false)
                == "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n")
        #expect(ChatTemplate(template: nil).prompt(user: "raw text") == "raw text")
    }

    /// llama.cpp's defaults when `tokenizer.ggml.add_bos_token` is absent: BOS for Llama-3's pre-tokenizer only.
    @Test func addBOSDefaultsFollowLlamaCpp() throws {
        func tokenizer(pre: String, addBOS: Bool?) throws -> BPETokenizer {
            var w = GGUFWriter()
            w.add("tokenizer.ggml.model", .string("gpt2"))
            w.add("tokenizer.ggml.pre", .string(pre))
            w.add("tokenizer.ggml.tokens", .array(["<s>", "a"].map { .string($0) }))
            w.add("tokenizer.ggml.token_type", .array([.int32(3), .int32(1)]))
            w.add("tokenizer.ggml.merges", .array([]))
            w.add("tokenizer.ggml.bos_token_id", .uint32(0))
            if let b = addBOS { w.add("tokenizer.ggml.add_bos_token", .bool(b)) }
            return try BPETokenizer(gguf: try GGUFFile(bytes: w.encoded()))
        }
        #expect(try tokenizer(pre: "llama-bpe", addBOS: nil).encode("a", addSpecial: true) == [0, 1])
        #expect(try tokenizer(pre: "llama-bpe", addBOS: false).encode("a", addSpecial: true) == [1])
        #expect(try tokenizer(pre: "smollm", addBOS: nil).encode("a", addSpecial: true) == [1])
        #expect(try tokenizer(pre: "smollm", addBOS: true).encode("a", addSpecial: true) == [0, 1])
        #expect(try tokenizer(pre: "smollm", addBOS: true).encode("a", addSpecial: false) == [1])
    }

    @Test func badMetadataIsATypedError() throws {
        func file(_ edit: (inout GGUFWriter) -> Void) throws -> GGUFFile {
            var w = GGUFWriter()
            w.add("tokenizer.ggml.model", .string("gpt2"))
            w.add("tokenizer.ggml.pre", .string("smollm"))
            w.add("tokenizer.ggml.tokens", .array(["a", "b", "ab"].map { .string($0) }))
            w.add("tokenizer.ggml.merges", .array([.string("a b")]))
            edit(&w)
            return try GGUFFile(bytes: w.encoded())
        }
        #expect(try BPETokenizer(gguf: try file { _ in }).encode("ab", addSpecial: false) == [2])
        let bad: [(String, GGUFValue)] = [
            ("tokenizer.ggml.bos_token_id", .uint32(99)),
            ("tokenizer.ggml.merges", .array([.string("nospace")])),
            ("tokenizer.ggml.token_type", .array([.int32(1)])),
        ]
        for (key, value) in bad {
            let f = try file { w in w.metadata.removeAll { $0.0 == key }; w.add(key, value) }
            #expect(throws: TokenizerError.self, "\(key)") { try BPETokenizer(gguf: f) }
        }
        let spm = try file { w in w.metadata.removeAll { $0.0 == "tokenizer.ggml.model" }; w.add("tokenizer.ggml.model", .string("llama")) }
        #expect(throws: TokenizerError.self) { try BPETokenizer(gguf: spm) }
        let pre = try file { w in w.metadata.removeAll { $0.0 == "tokenizer.ggml.pre" }; w.add("tokenizer.ggml.pre", .string("mystery")) }
        #expect(throws: TokenizerError.self) { try BPETokenizer(gguf: pre) }
        let noTokens = try file { w in w.metadata.removeAll { $0.0 == "tokenizer.ggml.tokens" } }
        #expect(throws: TokenizerError.self) { try BPETokenizer(gguf: noTokens) }
    }
}

/// A tokenizer with no vocabulary, for driving TokenTextStream with raw bytes.
struct NoTokenizer: Tokenizing {
    var vocabSize: Int { 0 }
    var bosID: Int? { nil }
    var eosID: Int? { nil }
    func encode(_ text: String, addSpecial: Bool) -> [Int] { [] }
    func decode(_ ids: [Int]) -> String { "" }
    func bytes(of id: Int) -> [UInt8] { [] }
    func isEndOfGeneration(_ id: Int) -> Bool { false }
}
