// A short deterministic pass of the GGUF fuzzer (the long run is in the closing notes): a crash
// would kill the fuzzer process, a slow input is reported as a hang and fails the run.
import Foundation
import Testing
import TokenloomTestSupport

@Suite struct FuzzSmokeTests {
    @Test func shortDeterministicFuzzPassHasNoCrashOrHang() throws {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let r = try CLIRunner.run(["--iterations", "20000", "--seed", "7", "--hang-ms", "2000",
                                   "--corpus", repo.appendingPathComponent("Tests/fuzz-corpus").path],
                                  executable: TestBinaries.fuzz, timeout: 600)
        let text = r.stdout
        #expect(r.signal == nil, "fuzzer died: \(text)")
        #expect(r.status == 0, "fuzzer reported hangs: \(text)")
        #expect(text.contains("inputs 20000"))
        // The mutations must reach past the header checks sometimes, or the pass proves little.
        #expect(text.contains("parsed") || text.contains("loaded") || text.contains("loader:"))
        #expect(text.contains("loaded+forward"), "no mutated input reached a forward pass: \(text)")
    }

    /// Every seed but the regression ones is a valid file: it loads and runs a forward pass, so
    /// mutations start from inputs that reach the loaders.
    @Test func seedsLoadAndRunAForwardPass() throws {
        let text = try CLIRunner.run(["--check-seeds", "--builtin-models"], executable: TestBinaries.fuzz).stdout
        let lines = text.split(separator: "\n")
        // Built-in seeds: tiny Llama (gpt2 BPE), quantised tensors (no model), SentencePiece Llama,
        // tiny image models (plain and fused), then the shipped image models.
        #expect(lines.count >= 5, "\(text)")
        for (i, line) in lines.enumerated() where i != 1 {
            #expect(line.hasSuffix("loaded+forward"), "\(line)")
        }
    }

    /// The inference-server answer parser (HTTP framing, then the completions JSON): no crash, no hang,
    /// no control character in any message, and some mutants still parse (so the pass goes deep).
    @Test func serverAnswerFuzzPassHasNoCrashOrHang() throws {
        let r = try CLIRunner.run(["--target", "completion", "--iterations", "30000", "--seed", "3", "--hang-ms", "2000"],
                                  executable: TestBinaries.fuzz, timeout: 600)
        #expect(r.signal == nil, "fuzzer died: \(r.stdout) \(r.stderr.suffix(500))")
        #expect(r.status == 0, "fuzzer reported hangs: \(r.stdout)")
        #expect(r.stdout.contains("inputs 30000"))
        #expect(r.stdout.contains("parsed"), "no mutated answer parsed: \(r.stdout)")
    }
}
