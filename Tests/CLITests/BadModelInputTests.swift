// The bad-input table for model files (issue 7): each broken file gives one line on stderr naming
// what and where, exit code 1, and nothing on stdout.
import Foundation
import Testing
import TokenloomKernels
import TokenloomModels
import TokenloomTestSupport

@Suite struct BadModelInputTests {
    func expectOneLineError(_ path: String, mentions words: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let r = try CLIRunner.run(["logits", "--model", path, "--prompt", "ab"])
        #expect(r.status == 1, "exit \(r.status), stderr: \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stdout.isEmpty, "stdout: \(r.stdout)", sourceLocation: sourceLocation)
        let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty }
        #expect(lines.count == 1, "stderr: \(r.stderr)", sourceLocation: sourceLocation)
        for w in words {
            #expect(r.stderr.localizedCaseInsensitiveContains(w), "stderr lacks '\(w)': \(r.stderr)", sourceLocation: sourceLocation)
        }
    }

    @Test func tinyValidModelRuns() throws {
        let dir = BadModelFiles.folder("valid")
        let path = BadModelFiles.write(BadModelFiles.tiny().encoded(), dir + "/tiny.gguf")
        let r = try CLIRunner.run(["logits", "--model", path, "--prompt", "ab", "--json"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
    }

    @Test func missingFile() throws {
        try expectOneLineError("/nonexistent/dir/model.gguf", mentions: ["/nonexistent/dir/model.gguf", "no such file"])
    }

    @Test func directory() throws {
        let dir = BadModelFiles.folder("dir") + "/a.gguf"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try expectOneLineError(dir, mentions: ["not a regular file"])
    }

    @Test func emptyFile() throws {
        let p = BadModelFiles.write([], BadModelFiles.folder("empty") + "/e.gguf")
        try expectOneLineError(p, mentions: ["empty"])
    }

    @Test func wrongMagic() throws {
        let p = BadModelFiles.write(Array("PK\u{3}\u{4} this is a zip, not a model".utf8), BadModelFiles.folder("magic") + "/m.gguf")
        try expectOneLineError(p, mentions: ["magic"])
    }

    @Test func truncatedHeader() throws {
        let b = BadModelFiles.tiny().encoded()
        let p = BadModelFiles.write(Array(b.prefix(200)), BadModelFiles.folder("trunch") + "/t.gguf")
        try expectOneLineError(p, mentions: ["truncated", "at byte"])
    }

    @Test func truncatedTensorData() throws {
        let b = BadModelFiles.tiny().encoded()
        let p = BadModelFiles.write(Array(b.prefix(b.count - 100)), BadModelFiles.folder("truncd") + "/t.gguf")
        try expectOneLineError(p, mentions: ["truncated tensor data", "blk.1.ffn_down.weight"])
    }

    @Test func offsetPastTheEnd() throws {
        var b = BadModelFiles.tiny().encoded()
        // The offset field follows ne[0..1] and the u32 type of 'output_norm.weight' (1 dim).
        let at = try #require(BadModelFiles.offsetOfFirstDim(of: "output_norm.weight", in: b))
        BadModelFiles.patchU64(&b, at: at + 8 + 4, 1 << 40)
        let p = BadModelFiles.write(b, BadModelFiles.folder("offset") + "/o.gguf")
        try expectOneLineError(p, mentions: ["output_norm.weight", "past the end"])
    }

    @Test func absurdDimensions() throws {
        var b = BadModelFiles.tiny().encoded()
        let at = try #require(BadModelFiles.offsetOfFirstDim(of: "token_embd.weight", in: b))
        BadModelFiles.patchU64(&b, at: at, 1 << 50)
        let p = BadModelFiles.write(b, BadModelFiles.folder("dims") + "/d.gguf")
        try expectOneLineError(p, mentions: ["token_embd.weight", "absurd dimension"])
    }

    @Test func unknownArchitecture() throws {
        let p = BadModelFiles.write(BadModelFiles.tiny(architecture: "mamba").encoded(), BadModelFiles.folder("arch") + "/a.gguf")
        try expectOneLineError(p, mentions: ["unknown architecture 'mamba'"])
    }

    @Test func unsupportedTensorType() throws {
        let p = BadModelFiles.write(BadModelFiles.tiny(qType: .q5_K).encoded(), BadModelFiles.folder("qtype") + "/q.gguf")
        // Q5_K has 256-element blocks; a row of 8 cannot hold one, which the reader already refuses.
        try expectOneLineError(p, mentions: ["blk.0.attn_q.weight", "Q5_K"])
    }

    @Test func vocabularyAndEmbeddingDisagree() throws {
        let p = BadModelFiles.write(BadModelFiles.tiny(vocabTokens: 8).encoded(), BadModelFiles.folder("vocab") + "/v.gguf")
        try expectOneLineError(p, mentions: ["vocab"])
    }

    @Test func missingTensor() throws {
        let p = BadModelFiles.write(BadModelFiles.tiny(dropTensor: "blk.1.ffn_up.weight").encoded(), BadModelFiles.folder("missing") + "/m.gguf")
        try expectOneLineError(p, mentions: ["blk.1.ffn_up.weight"])
    }
}
