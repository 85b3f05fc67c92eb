// SmolLM2 as llama.cpp writes it in the mixes common downloads use (issue 15): re-quantised from the
// cached Q4_1 by Tests/reference/requantize_smollm2.py (llama-cpp-python's llama_model_quantize) into
// a temporary folder, loaded by the built `tokenloom`, and its next-token distribution for each of
// make_llama_reference.py's prompts compared by compare_logits.py --json with the exact float64
// forward of the same file (exact_forward.py) and with llama.cpp's. Both engines are judged against
// the exact model, never against each other: both round activations to 8 bits and sit ~0.4 logits
// from it, in different directions. The bounds are about closeness to the exact model, not about
// today's bits, so an integer path for Q5_0/Q5_1/K types that rounds differently still passes.
// What it catches: a wrong layout or decoding of a block type (a Q6_K bit-field or scale index
// copy-pasted wrong gave KLs of 1.5 to 11 and wrong top-1s on every K-mix prompt). What it cannot:
// an error as small as 8-bit rounding (one quantum off in a quarter of Q6_K values raised the KL
// 5-20x, to 3.8e-2 at most, under the bounds); KernelsTests/DequantizeTests catch those bit for bit.
// The venv is LiveServerTests'; like there, the test fails (never skips) where it cannot be made.
// About 6 minutes on 2 busy cores: 40 s to re-quantise, then per file ~15 s for the exact model's
// weights (numpy) and 5 prompts through each engine.
import Foundation
import Testing
import TokenloomTestSupport

@Suite(.serialized) struct RequantizedFileTests {
    /// One prompt of one file, as compare_logits.py --json --exact writes it.
    struct Row: Decodable {
        let prompt: String
        let n_tokens: Int
        let kl_ours: Double, kl_llama: Double
        let exact_top1: Int, exact_top2: Int, exact_margin: Double
        let ours_top1: Int, ours_top1_exact_gap: Double
        let llama_top1: Int, llama_top1_exact_gap: Double
    }
    struct File: Decodable {
        let file: String
        let types: [String: Int]
        let rows: [Row]
    }

    struct Failure: Error, CustomStringConvertible { let description: String }

    static let mixes = ["Q4_0", "Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0", "F16"]

    /// Every block type the six files hold between them (SmolLM2's 576-wide rows make llama.cpp fall
    /// back from K types to 32-element blocks for most tensors; 1536-wide ffn_down rows keep them).
    static let typesCovered: Set<String> = ["F32", "F16", "Q4_0", "Q5_0", "Q5_1", "Q8_0", "Q4_K", "Q5_K", "Q6_K"]

    @Test func requantizedSmolLM2FilesLoadAndMatchTheExactModel() throws {
        let dir = try LiveServerTests.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let python = try LiveServerTests.python()
        let reference = LiveServerTests.referenceDir

        let start = Poll.now()
        let quantized = try Subprocess.run([python, reference + "/requantize_smollm2.py", dir] + Self.mixes
                                           + ["--source", try TestModels.smolLM2()], timeout: 600)
        guard quantized.status == 0 else { throw Failure(description: "requantize_smollm2.py failed: \(quantized.stderr.suffix(800))") }
        let quantizeSeconds = Poll.now() - start
        let paths = Self.mixes.map { dir + "/SmolLM2-135M-Instruct.\($0).gguf" }

        let compared = try Subprocess.run([python, reference + "/compare_logits.py", "--exact", "--json", "--steps", "0",
                                           "--threads", "2", TestBinaries.tokenloom] + paths, timeout: 900)
        guard compared.status == 0 else { throw Failure(description: "compare_logits.py failed: \(compared.stderr.suffix(800))") }
        let files = try compared.stdout.split(separator: "\n").map { try JSONDecoder().decode(File.self, from: Data($0.utf8)) }
        print("requantised \(Self.mixes.count) files in \(Int(quantizeSeconds)) s, compared in \(Int(Poll.now() - start - quantizeSeconds)) s")
        #expect(files.map(\.file) == paths.map { ($0 as NSString).lastPathComponent })
        #expect(Self.typesCovered.isSubset(of: Set(files.flatMap(\.types.keys))), "\(files.map(\.types))")

        for f in files {
            for r in f.rows {
                let at = "\(f.file), \(r.prompt.debugDescription)"
                print(at + String(format: "  KL to exact: tokenloom %.2e llama.cpp %.2e; exact margin %.3f, gap to tokenloom's top-1 %.3f",
                                       r.kl_ours, r.kl_llama, r.exact_margin, r.ours_top1_exact_gap))
                #expect(r.kl_ours <= max(r.kl_llama + Self.klMargin, Self.klBound),
                        "\(at): tokenloom's KL to the exact model \(r.kl_ours) exceeds llama.cpp's \(r.kl_llama) + \(Self.klMargin) and \(Self.klBound)")
                #expect(r.ours_top1 == r.exact_top1 || r.ours_top1_exact_gap < Self.nearTie,
                        "\(at): tokenloom's top-1 \(r.ours_top1) is \(r.ours_top1_exact_gap) below the exact top-1 \(r.exact_top1)")
                // The yardstick itself: llama.cpp on the same file must be close to it too, or the file
                // or exact_forward.py is what is wrong.
                #expect(r.kl_llama <= Self.llamaSanityBound, "\(at): llama.cpp's KL to the exact model is \(r.kl_llama)")
            }
        }
    }

    // The bounds, from compare_logits.py --exact --json --steps 0 on this machine (AVX-512; KL of each
    // engine's next-token distribution from the exact one, nats, per prompt; tokenloom / llama.cpp):
    //   Q4_1 (the cached file, whose figures the project accepts): tokenloom 1.3e-4 ... 1.19e-2,
    //        llama.cpp 3.4e-4 ... 1.59e-2
    //   Q4_0    tokenloom 6.4e-4 ... 1.65e-2   llama.cpp 1.2e-3 ... 2.65e-2
    //   Q4_K_M  tokenloom 1.1e-4 ... 1.02e-2   llama.cpp 2.5e-3 ... 4.30e-2   (float path today)
    //   Q5_K_M  tokenloom 1.7e-4 ... 3.65e-3   llama.cpp 2.8e-3 ... 7.27e-2   (float path today)
    //   Q6_K    tokenloom 4.3e-4 ... 7.54e-3   llama.cpp 1.8e-3 ... 4.04e-2   (float path today)
    //   Q8_0    tokenloom 3.3e-4 ... 2.13e-2   llama.cpp 1.0e-3 ... 7.81e-3
    //   F16     tokenloom < 2e-11 (no activation rounding)  llama.cpp 5e-7 ... 2.0e-5
    // tokenloom exceeded llama.cpp by at most 1.6e-2 (Q8_0, "The quick brown fox": 2.13e-2 against
    // 5.3e-3), on Q4_1 by 7.7e-3.
    /// Absolute bound on tokenloom's KL: about 3x the worst of either engine on Q4_1 (1.59e-2) and
    /// 2.3x tokenloom's worst on these files (2.13e-2), so 8-bit rounding anywhere passes.
    static let klBound = 0.05
    /// Or no worse than llama.cpp's KL on the same file and prompt by more than this: what lets a file
    /// that llama.cpp too finds hard (its Q5_K_M KL of 7.3e-2) pass. Above the worst excess measured
    /// (1.6e-2), though that row passes on klBound.
    static let klMargin = 0.02
    /// The yardstick's own check: llama.cpp reached 7.3e-2; a wrong exact forward or a broken file
    /// gives both engines KLs of order 1.
    static let llamaSanityBound = 0.25
    /// How far below the exact top-1 (in exact logits) tokenloom's top-1 may be: the near-tie
    /// 0.1 is too tight for 8-bit activations: llama.cpp took the exact model's second token at a
    /// margin of 0.240 on the Q6_K file ("def fibonacci"); LiveServerTests' engineError, 0.4, is how
    /// far both 8-bit engines sit from the exact model. Today tokenloom's only miss is at 0.046 (Q8_0).
    static let nearTie = LiveServerTests.engineError
}
