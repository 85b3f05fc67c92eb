// TokenizerSentencePieceTests: the SentencePiece ('llama') tokenizer against llama.cpp on a small vocabulary
// (Fixtures/tokenizer/spm_vocab.gguf and spm_reference.json, both from Tests/reference/make_tokenizer_reference.py).

import Foundation
import Testing
@testable import TokenloomModels
import TokenloomTestSupport

@Suite struct TokenizerSentencePieceTests {
    struct Fixture: Decodable {
        let hello_with_add_bos_true: [Int]
        let cases: [TokenizerFixture.Case]
    }

    static func fixturePath(_ name: String, _ ext: String) throws -> URL {
        guard let url = Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Fixtures/tokenizer") else {
            throw TokenizerError(path: "Fixtures/tokenizer/\(name).\(ext)", "fixture missing from the test bundle")
        }
        return url
    }

    static func load() throws -> (SentencePieceTokenizer, Fixture) {
        let file = try GGUFFile(path: try fixturePath("spm_vocab", "gguf").path)
        let loaded = try TokenizerLoader.load(from: file)
        let tok = try #require(loaded as? SentencePieceTokenizer)
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: try fixturePath("spm_reference", "json")))
        return (tok, fixture)
    }

    @Test func idsMatchLlamaCpp() throws {
        let (tok, fixture) = try Self.load()
        #expect(fixture.cases.count >= 40)
        #expect(tok.addBOS && tok.addSpacePrefix && tok.bosID == 1)
        for c in fixture.cases {
            #expect(tok.encode(c.text, addSpecial: false) == c.ids, "ids for \(c.text.debugDescription)")
        }
        #expect(tok.encode("Hello", addSpecial: true) == fixture.hello_with_add_bos_true)
    }

    @Test func decodeMatchesLlamaCppAndRoundTrips() throws {
        let (tok, fixture) = try Self.load()
        for c in fixture.cases {
            #expect(tok.decode(c.ids) == c.detokenized, "decode of \(c.text.debugDescription)")
            // Without special tokens (after which the encoder adds a space), text comes back unchanged.
            if !c.text.contains("<|") {
                #expect(tok.decode(tok.encode(c.text, addSpecial: false)) == c.text, "round trip of \(c.text.debugDescription)")
            }
        }
    }

    @Test func streamEqualsTokenBytesAtEverySplit() throws {
        let (tok, fixture) = try Self.load()
        for c in fixture.cases {
            let all = c.ids.flatMap { tok.bytes(of: $0) }
            var stream = TokenTextStream(tokenizer: tok)
            var text = ""
            for id in c.ids {
                text += stream.push(id)
                #expect(all.starts(with: Array(text.utf8)) || text.unicodeScalars.contains("\u{FFFD}"))
            }
            text += stream.finish()
            #expect(text == String(decoding: all, as: UTF8.self), "stream of \(c.text.debugDescription)")
        }
    }

    /// Tokens compare as bytes (as in llama.cpp), not as canonically equivalent Swift strings.
    @Test func canonicallyEquivalentTokensStayDistinct() throws {
        let tokens = ["<unk>", "<s>", "</s>", "\u{2581}", "\u{E9}", "e\u{301}", "e", "\u{301}"]
        let types: [TokenType] = [.unknown, .control, .control, .normal, .normal, .normal, .normal, .normal]
        let tok = try SentencePieceTokenizer(tokens: tokens, types: types, scores: [0, 0, 0, 0, -1, -1, -2, -2])
        #expect(tok.tokenID("e\u{301}") == 5 && tok.tokenID("\u{E9}") == 4)
        #expect(tok.encode("\u{E9}", addSpecial: false) == [3, 4])
        #expect(tok.encode("e\u{301}", addSpecial: false) == [3, 5])
        #expect(tok.encode("e\u{301}", addSpecial: true) == [1, 3, 5])
    }

    @Test func loaderPicksByteLevelBPEForSmolLM2() throws {
        let tok = try TokenizerLoader.load(from: try GGUFFile(path: try TestModels.smolLM2()))
        #expect(tok is BPETokenizer)
        #expect(tok.tokenID("<|im_start|>") == 1)
    }
}
