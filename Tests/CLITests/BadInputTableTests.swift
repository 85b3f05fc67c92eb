// The rest of the bad-input table (issue 7): theme files, trace files, prompts and flag values.
// Each row: exit 1 (bad data) or 2 (bad usage), nothing on stdout, one stderr line saying what and
// where (a usage error names the subcommand's --help on that line), and no half-written output file.
import Foundation
import Testing
import TokenloomKernels
import TokenloomTestSupport

@Suite struct BadInputTableTests {
    /// Runs `args` and checks the row's contract.
    @discardableResult
    func expectError(_ args: [String], exit code: Int32, mentions words: [String],
                     sourceLocation: SourceLocation = #_sourceLocation) throws -> CLIResult {
        let r = try CLIRunner.run(args)
        #expect(r.status == code, "exit \(r.status), stderr: \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stdout.isEmpty, "stdout: \(r.stdout)", sourceLocation: sourceLocation)
        let lines = r.stderr.split(separator: "\n").map(String.init)
        #expect(lines.count == 1, "stderr: \(r.stderr)", sourceLocation: sourceLocation)
        for w in words {
            #expect(lines.first?.localizedCaseInsensitiveContains(w) == true, "stderr lacks '\(w)': \(r.stderr)",
                    sourceLocation: sourceLocation)
        }
        // A terminal UI that had started would leave escape sequences behind.
        #expect(!r.stderr.contains("\u{1B}["), "escape sequences on stderr", sourceLocation: sourceLocation)
        return r
    }

    /// The valid tiny model (context 64) from the model-file table.
    func tinyModel(_ name: String) -> String {
        BadModelFiles.write(BadModelFiles.tiny().encoded(), BadModelFiles.folder(name) + "/tiny.gguf")
    }

    // MARK: theme files (`tokenloom tui --theme FILE`)

    @Test func themeSyntaxErrorNamesFileLineAndColumn() throws {
        let path = BadModelFiles.folder("theme-syntax") + "/broken.toml"
        try "name = \"broken\"\n[colors]\nbackground = \"#101010\"\naccent = = \"#ff0000\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        try expectError(["tui", "--theme", path], exit: 1, mentions: [path + ":4:", "syntax"])
    }

    @Test func themeUnknownKeyIsNamed() throws {
        let path = BadModelFiles.folder("theme-key") + "/unknown.toml"
        try "name = \"odd\"\n[colors]\nsparkle = \"#ff00ff\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        try expectError(["tui", "--theme", path], exit: 1, mentions: [path, "unknown theme key", "colors.sparkle"])
    }

    @Test func themeMissingFile() throws {
        try expectError(["tui", "--theme", "/nonexistent/theme.toml"], exit: 1, mentions: ["/nonexistent/theme.toml"])
    }

    // MARK: scenario files (`tokenloom tui --scenario FILE`)

    @Test func scenarioSyntaxErrorNamesFileLineAndColumn() throws {
        let path = BadModelFiles.folder("scen-syntax") + "/broken.toml"
        try "title = \"x\"\nmodel = \"smollm2\"\nseed = = 4\n".write(toFile: path, atomically: true, encoding: .utf8)
        try expectError(["tui", "--scenario", path], exit: 1, mentions: [path + ":3:", "syntax"])
    }

    @Test func scenarioUnknownKeyIsNamed() throws {
        let path = BadModelFiles.folder("scen-key") + "/unknown.toml"
        try "title = \"x\"\nmodel = \"smollm2\"\nprompt = \"hi\"\nwarp_speed = 9\n[[decoders]]\nname = \"AR\"\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        try expectError(["tui", "--scenario", path], exit: 1, mentions: [path, "warp_speed"])
    }

    @Test func scenarioMissingFile() throws {
        try expectError(["tui", "--scenario", "/nonexistent/s.toml"], exit: 1, mentions: ["/nonexistent/s.toml"])
    }

    // MARK: trace files (`tokenloom replay FILE`)

    /// A real trace, written by `generate --trace` on the tiny model.
    func validTrace(_ name: String) throws -> (path: String, lines: [String]) {
        let dir = BadModelFiles.folder(name)
        let trace = dir + "/good.jsonl"
        let r = try CLIRunner.run(["generate", "--model", tinyModel(name), "--prompt", "ab", "--max-tokens", "4",
                                   "--decoder", "jacobi", "--window", "3", "--trace", trace, "--json"])
        #expect(r.status == 0, "generate failed: \(r.stderr)")
        let text = try String(contentsOfFile: trace, encoding: .utf8)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.count >= 2, "trace: \(text)")
        return (trace, lines)
    }

    @Test func validTraceReplays() throws {
        let (path, _) = try validTrace("trace-ok")
        let r = try CLIRunner.run(["replay", "--summary", path])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdout.contains("NFE"))
    }

    @Test func traceTruncatedLastLineNamesTheLine() throws {
        let (path, lines) = try validTrace("trace-trunc")
        let last = lines[lines.count - 1]
        let cut = lines.dropLast().joined(separator: "\n") + "\n" + last.prefix(last.count / 2)
        let bad = BadModelFiles.folder("trace-trunc") + "/cut.jsonl"
        try cut.write(toFile: bad, atomically: true, encoding: .utf8)
        try expectError(["replay", bad], exit: 1, mentions: ["\(bad):\(lines.count):", "not a trace event"])
    }

    @Test func traceWrongVersion() throws {
        let (path, lines) = try validTrace("trace-version")
        _ = path
        let bad = BadModelFiles.folder("trace-version") + "/v99.jsonl"
        let header = #"{"trace": "tokenloom", "version": 99}"#
        try ([header] + lines).joined(separator: "\n").write(toFile: bad, atomically: true, encoding: .utf8)
        try expectError(["replay", bad], exit: 1, mentions: [bad, "version 99"])
    }

    @Test func traceNotJSON() throws {
        let bad = BadModelFiles.folder("trace-json") + "/notes.jsonl"
        try "these are my notes\nnot a trace\n".write(toFile: bad, atomically: true, encoding: .utf8)
        try expectError(["replay", bad], exit: 1, mentions: ["\(bad):1:"])
    }

    @Test func traceMissingAndEmpty() throws {
        try expectError(["replay", "/nonexistent/t.jsonl"], exit: 1, mentions: ["/nonexistent/t.jsonl"])
        let empty = BadModelFiles.write([], BadModelFiles.folder("trace-empty") + "/e.jsonl")
        try expectError(["replay", empty], exit: 1, mentions: [empty, "no events"])
    }

    // MARK: prompts

    @Test func emptyPrompt() throws {
        let m = tinyModel("prompt-empty")
        for cmd in ["generate", "logits"] {
            try expectError([cmd, "--model", m, "--prompt", ""], exit: 2, mentions: ["--prompt", "empty"])
        }
    }

    @Test func promptLongerThanTheContext() throws {
        let m = tinyModel("prompt-long")
        let long = Array(repeating: "ab", count: 100).joined(separator: " ")  // > 64 tokens
        try expectError(["generate", "--model", m, "--prompt", long, "--max-tokens", "4"], exit: 2,
                        mentions: ["prompt", "context of 64"])
        // A prompt that fits, but not with the new tokens asked for.
        try expectError(["generate", "--model", m, "--prompt", "ab", "--max-tokens", "100"], exit: 2,
                        mentions: ["context of 64"])
        try expectError(["logits", "--model", m, "--prompt", long], exit: 2, mentions: ["prompt", "64"])
    }

    // MARK: flag values

    @Test func flagValuesOnGenerate() throws {
        let m = tinyModel("flags-gen")
        let base = ["generate", "--model", m, "--prompt", "ab"]
        try expectError(base + ["--decoder", "jacobi", "--window", "0"], exit: 2, mentions: ["--window", "0"])
        try expectError(base + ["--decoder", "sjd", "--top-p", "1.5"], exit: 2, mentions: ["--top-p", "1.5"])
        try expectError(base + ["--temperature=-0.5"], exit: 2, mentions: ["--temperature", "-0.5"])
        try expectError(base + ["--threads", "0"], exit: 2, mentions: ["--threads", "0"])
    }

    @Test func flagValuesOnLogitsAndBench() throws {
        let m = tinyModel("flags-bench")
        try expectError(["logits", "--model", m, "--prompt", "ab", "--threads", "0"], exit: 2, mentions: ["--threads"])
        let bench = ["bench", "decoders", "--model", m]
        try expectError(bench + ["--window", "0"], exit: 2, mentions: ["--window"])
        try expectError(bench + ["--top-p", "1.5"], exit: 2, mentions: ["--top-p"])
        try expectError(bench + ["--temperature=-1"], exit: 2, mentions: ["--temperature"])
        try expectError(bench + ["--threads", "0"], exit: 2, mentions: ["--threads"])
        try expectError(["bench", "engine", "--model", m, "--threads", "0"], exit: 2, mentions: ["--threads"])
    }

    // MARK: kernel paths (TOKENLOOM_ISA, bench engine --isa)

    @Test func kernelPathThisCPULacksIsOneLineAndExit2() throws {
        let m = tinyModel("isa")
        try expectError(["bench", "engine", "--model", m, "--isa", "sse9"], exit: 2, mentions: ["--isa", "sse9"])
        if let lacking = KernelPath.allCases.first(where: { !$0.isSupported }) {   // NEON on x86, AVX on ARM
            try expectError(["bench", "engine", "--model", m, "--isa", lacking.name], exit: 2,
                            mentions: ["--isa", lacking.name, "cannot run"])
            let r = try CLIRunner.run(["bench", "engine", "--model", m], environment: ["TOKENLOOM_ISA": lacking.name])
            #expect(r.status == 2 && r.stdout.isEmpty, "exit \(r.status): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains("TOKENLOOM_ISA=\(lacking.name)")
                    && r.stderr.contains("cannot run"), "\(r.stderr)")
        }
        let r = try CLIRunner.run(["models"], environment: ["TOKENLOOM_ISA": "sse9"])
        #expect(r.status == 2 && r.stderr.contains("TOKENLOOM_ISA=sse9 names no kernel path"), "\(r.stderr)")
    }

    @Test func benchEngineSaysWhichKernelPathRan() throws {
        // The built-in image model: its context fits the benchmark's 64 + 64 positions (the tiny one's does not).
        let args = ["bench", "engine", "--model", "builtin:emoji", "--runs", "1", "--prompt-tokens", "8", "--decode-tokens", "4"]
        let best = try CLIRunner.run(args)
        #expect(best.status == 0 && best.stdout.contains("kernels: \(KernelPath.best.description) [\(KernelPath.best.name)], the best this CPU has"),
                "\(best.stdout)\(best.stderr)")
        let forced = try CLIRunner.run(args, environment: ["TOKENLOOM_ISA": "scalar"])
        #expect(forced.status == 0 && forced.stdout.contains("kernels: scalar (portable C) [scalar], forced by TOKENLOOM_ISA"),
                "\(forced.stdout)\(forced.stderr)")
        let option = try CLIRunner.run(args + ["--isa", "scalar"])
        #expect(option.status == 0 && option.stdout.contains("[scalar], forced by --isa"), "\(option.stdout)\(option.stderr)")
    }

    // MARK: nothing half-written

    @Test func failedGenerateLeavesNoTrace() throws {
        let dir = BadModelFiles.folder("trace-fail")
        let trace = dir + "/never.jsonl"
        try? FileManager.default.removeItem(atPath: trace)
        // Fails after the options parse (the prompt does not fit with the tokens asked for).
        try expectError(["generate", "--model", tinyModel("trace-fail"), "--prompt", "ab", "--max-tokens", "100",
                         "--trace", trace], exit: 2, mentions: ["context"])
        #expect(!FileManager.default.fileExists(atPath: trace))
        // A trace folder that does not exist: a data error, and nothing created.
        try expectError(["generate", "--model", tinyModel("trace-fail"), "--prompt", "ab", "--max-tokens", "2",
                         "--trace", dir + "/no/such/dir/t.jsonl"], exit: 1, mentions: ["trace"])
        let left = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains("partial") }
        #expect(left.isEmpty, "left behind: \(left)")
    }

    @Test func successfulTraceLeavesNoTemporaryFile() throws {
        let (path, _) = try validTrace("trace-tmp")
        let dir = (path as NSString).deletingLastPathComponent
        let left = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains("partial") }
        #expect(left.isEmpty, "left behind: \(left)")
    }
}
