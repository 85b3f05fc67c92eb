// End-to-end checks of the command line's foundation: subcommands, usage errors, fetch and models.
import Foundation
import Testing
import TokenloomModels
import TokenloomTestSupport

@Suite struct FoundationCLITests {
    @Test func helpListsTheSevenSubcommands() throws {
        let r = try CLIRunner.run(["--help"])
        #expect(r.status == 0)
        for sub in ["tui", "generate", "logits", "bench", "fetch", "models", "replay"] {
            #expect(r.stdout.contains("  \(sub)"), "--help does not list \(sub)")
        }
    }

    @Test(arguments: [["frobnicate"], ["models", "--bogus-flag"], ["logits", "--threads", "zero"],
                      ["logits", "--threads", "0"]])
    func malformedInvocationIsOneLineNamingHelpExit2(args: [String]) throws {
        let r = try CLIRunner.run(args)
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1, "stderr was: \(r.stderr)")
        #expect(lines.first?.hasPrefix("tokenloom: ") == true)
        #expect(lines.first?.hasSuffix("--help')") == true, "stderr was: \(r.stderr)")
    }

    @Test func fetchUnknownModelIsAUsageError() throws {
        let r = try CLIRunner.run(["fetch", "no-such-model"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("unknown model 'no-such-model'"))
    }

    @Test func fetchLeavesTheVerifiedFileAndModelsListsIt() throws {
        // Fetch into a fresh cache: a copy of an already-fetched file is not the point here, the
        // project's own fetch path is. pip keeps its own download cache, so reruns are fast.
        _ = try TestModels.smolLM2()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tokenloom-fetch-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try CLIRunner.run(["fetch", "smollm2"], environment: ["TOKENLOOM_MODEL_DIR": dir])
        #expect(r.status == 0, "fetch failed: \(r.stderr)")
        let path = dir + "/" + ModelStore.smolLM2.fileName
        #expect(try ModelStore.sha256(ofFile: path) == ModelStore.smolLM2.sha256)
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: dir)).contains { $0.hasPrefix(".fetch") })

        let again = try CLIRunner.run(["fetch", "smollm2"], environment: ["TOKENLOOM_MODEL_DIR": dir])
        #expect(again.status == 0 && again.stderr.contains("already in the cache"))

        let m = try CLIRunner.run(["models", "--json"], environment: ["TOKENLOOM_MODEL_DIR": dir])
        #expect(m.status == 0)
        let list = try JSONSerialization.jsonObject(with: Data(m.stdout.utf8)) as? [[String: Any]]
        let smol = list?.first { $0["name"] as? String == "smollm2" }
        #expect(smol?["sha256"] as? String == ModelStore.smolLM2.sha256)
        #expect(smol?["path"] as? String == path)
        #expect(smol?["architecture"] as? String == "llama")
    }

    @Test func unreachableSourcesFailWithOneClearLine() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tokenloom-nofetch-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try CLIRunner.run(["fetch", "smollm2"],
                                  environment: ["TOKENLOOM_MODEL_DIR": dir, "TOKENLOOM_PYTHON": "/nonexistent/python3",
                                                "PATH": "/nonexistent"])
        #expect(r.status == 1)
        #expect(r.stderr.split(separator: "\n").last?.contains("no source reachable") == true)
        #expect(!FileManager.default.fileExists(atPath: dir + "/" + ModelStore.smolLM2.fileName))
    }
}

@Suite struct SHA256Tests {
    @Test(arguments: [("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
                      ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
                      ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")])
    func knownVectors(input: String, digest: String) {
        #expect(SHA256.hex(Array(input.utf8)) == digest)
    }

    @Test func chunkedEqualsWhole() {
        var state: UInt32 = 12345  // a fixed LCG: the bytes only need to be arbitrary, and the same each run
        let bytes = (0..<1000).map { _ -> UInt8 in state = state &* 1_664_525 &+ 1_013_904_223; return UInt8(state >> 24) }
        var h = SHA256()
        for chunk in stride(from: 0, to: bytes.count, by: 37) { h.update(Array(bytes[chunk..<min(chunk + 37, bytes.count)])) }
        #expect(h.finalize().map { String(format: "%02x", $0) }.joined() == SHA256.hex(bytes))
    }
}
