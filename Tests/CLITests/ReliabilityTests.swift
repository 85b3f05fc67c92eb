// Issue 16's reproductions, each one a row: the input, then exit 1 or 2 with one printable line and
// nothing on stdout (or success where that is right). Never a trap, an abort, a hang or a raw
// terminal. Files are written only inside a temporary folder; no test points at a device.
import Foundation
import Testing
import TokenloomModels
import TokenloomTestSupport

@Suite struct ReliabilityTests {
    static let folder: String = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tokenloom-reliability-\(getpid())").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }()

    /// Runs `args` and checks: exit `code`, nothing on stdout, one printable stderr line containing `words`.
    @discardableResult
    func refused(_ args: [String], exit code: Int32, mentions words: [String] = [],
                 sourceLocation: SourceLocation = #_sourceLocation) throws -> CLIResult {
        let r = try CLIRunner.run(args)
        #expect(r.signal == nil, "killed by signal \(r.signal ?? 0): \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.status == code, "exit \(r.status): \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stdout.isEmpty, "stdout: \(r.stdout)", sourceLocation: sourceLocation)
        let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty }
        #expect(lines.count == 1, "stderr: \(r.stderr)", sourceLocation: sourceLocation)
        #expect(!r.stderr.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" || $0.value == 0x7F },
                "control characters on stderr: \(r.stderr.debugDescription)", sourceLocation: sourceLocation)
        for w in words { #expect(r.stderr.contains(w), "stderr lacks '\(w)': \(r.stderr)", sourceLocation: sourceLocation) }
        return r
    }

    @Test func hugeNumbersAreRefusedNotTrapped() throws {
        let big = "9223372036854775807"
        try refused(["generate", "--prompt", "hi", "--max-tokens", big], exit: 2, mentions: ["--max-tokens", "--help"])
        try refused(["bench", "memory", "--tokens", big], exit: 2, mentions: ["--tokens"])
        try refused(["bench", "engine", "--decode-tokens", big], exit: 2, mentions: ["--decode-tokens"])
        try refused(["generate", "--threads", "2147483648"], exit: 2, mentions: ["--threads"])
        try refused(["tui", "-m", "smollm2", "--max-tokens", big], exit: 2, mentions: ["--max-tokens"])
        try refused(["generate", "--decoder", "cntp", "--max-trials", big], exit: 2, mentions: ["--max-trials"])
        try refused(["generate", "--decoder", "cntp", "--max-trials", "1000000"], exit: 2, mentions: ["--max-trials"])
        try refused(["generate", "--max-tokens", "-1"], exit: 2, mentions: ["--max-tokens must be in"])
        try refused(["generate", "--decoder", "sjd", "--temperature", "1e-38"], exit: 2, mentions: ["--temperature"])
        let scenario = Self.folder + "/huge.toml"
        try "title = \"t\"\nmodel = \"builtin:emoji\"\nprompt = \"sun\"\nmax_tokens = \(big)\n[[decoders]]\nname = \"ar\"\n"
            .write(toFile: scenario, atomically: true, encoding: .utf8)
        try refused(["tour", scenario, "--check"], exit: 1, mentions: ["max_tokens"])
        let threads = Self.folder + "/threads.toml"
        try "title = \"t\"\nmodel = \"builtin:emoji\"\nprompt = \"sun\"\nthreads = 2147483648\n[[decoders]]\nname = \"ar\"\n"
            .write(toFile: threads, atomically: true, encoding: .utf8)
        try refused(["tour", threads, "--check"], exit: 1, mentions: ["threads"])
    }

    func trace(_ name: String, _ lines: [String]) throws -> String {
        let path = Self.folder + "/" + name
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func tracesOutsideAnyDecoderAreRefused() throws {
        try refused(["replay", "--grid", "4294967296x4294967296", try trace("ok.jsonl", [#"{"event":"forward","start":0,"count":1,"wall_ms":1}"#])],
                    exit: 2, mentions: ["--grid"])
        let rows = [
            #"{"event":"forward","start":0,"count":1000000000000,"wall_ms":1}"#,
            #"{"event":"fuserGate","index":1000000000000000000,"value":0.5}"#,
            #"{"event":"branchOpened","position":3,"entropy":1.0,"trials":1000000000}"#,
            #"{"event":"entropy","position":3,"nats":1e300}"#,
        ]
        for (i, row) in rows.enumerated() {
            let path = try trace("bad\(i).jsonl", [#"{"event":"forward","start":0,"count":3,"wall_ms":1}"#, row])
            try refused(["replay", "--summary", path], exit: 1, mentions: [":2:"])
        }
        // A finite number above 1e17 that every bound allows still renders (fmt cannot trap).
        let big = try trace("big.jsonl", [#"{"event":"forward","start":0,"count":3,"wall_ms":123456789}"#,
                                          #"{"event":"commit","start":3,"tokens":[1]}"#])
        let r = try CLIRunner.run(["replay", "--summary", big])
        #expect(r.status == 0, "\(r.stderr)")
    }

    @Test func outputFilesNeverReplaceWhatIsThere() throws {
        let dir = Self.folder + "/out-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let target = dir + "/target.txt", link = dir + "/link.jsonl", fifo = dir + "/fifo.jsonl"
        try "old".write(toFile: target, atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        #expect(mkfifo(fifo, 0o644) == 0)
        // Through the symlink: the link stays a link, its target holds the trace.
        let r = try CLIRunner.run(["generate", "--prompt", "hi", "--max-tokens", "2", "--trace", link])
        #expect(r.status == 0, "\(r.stderr)")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: link)) == target)
        #expect((try String(contentsOfFile: target, encoding: .utf8)).hasPrefix(#"{"decoder":"AR""#))
        // A FIFO with no reader: one line, exit 1, no hang; the FIFO is still a FIFO.
        try refused(["generate", "--prompt", "hi", "--max-tokens", "2", "--trace", fifo], exit: 1, mentions: ["FIFO"])
        var st = stat()
        #expect(lstat(fifo, &st) == 0 && (st.st_mode & S_IFMT) == S_IFIFO)
        // A PNG through a symlink likewise.
        let png = dir + "/img.png", pngLink = dir + "/img-link.png"
        try "x".write(toFile: png, atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: pngLink, withDestinationPath: png)
        let g = try CLIRunner.run(["generate", "--model", "builtin:emoji", "--prompt", "sun", "--png", pngLink, "--seed", "1"])
        #expect(g.status == 0, "\(g.stderr)")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: pngLink)) == png)
        #expect((try Data(contentsOf: URL(fileURLWithPath: png))).prefix(4) == Data([0x89, 0x50, 0x4E, 0x47]))
        #expect((try FileManager.default.contentsOfDirectory(atPath: dir)).allSatisfy { !$0.contains(".partial-") })
    }

    @Test func brokenWeightsAndModelFilesSayWhatIsWrong() throws {
        var m = GGUFWriter.TinyLlama()
        // NaN in one matrix (norm weights are checked when the model loads; matrices are not).
        m.tensorData = { name, dims, _ in
            let n = dims.reduce(1, *)
            let v: [Float] = name == "blk.0.ffn_up.weight" ? Array(repeating: .nan, count: n)
                                                           : (0..<n).map { Float(($0 * 7) % 13) / 13 - 0.5 }
            return v.flatMap { x in withUnsafeBytes(of: x.bitPattern.littleEndian) { Array($0) } }
        }
        var w = GGUFWriter()
        w.addTinyLlamaHyperparameters(m)
        w.addTinyGPT2Tokenizer(count: m.vocab, controlEOS: false)
        w.addTinyLlamaTensors(m)
        let path = Self.folder + "/nan.gguf"
        FileManager.default.createFile(atPath: path, contents: Data(w.encoded()))
        try refused(["generate", "-m", path, "--prompt", "a", "--max-tokens", "3"], exit: 1, mentions: ["not finite"])
        try refused(["logits", "-m", path, "--prompt", "a", "--json"], exit: 1, mentions: ["not finite"])
        // A FIFO as a model: named for what it is.
        let fifo = Self.folder + "/model-fifo.gguf"
        _ = mkfifo(fifo, 0o644)
        try refused(["generate", "-m", fifo], exit: 1, mentions: ["a FIFO"])
        // Wrong-typed metadata is refused, not coerced.
        var b = GGUFWriter.TinyLlama()
        b.architecture = "llama"
        var wb = GGUFWriter()
        wb.addTinyLlamaHyperparameters(b)
        wb.metadata = wb.metadata.map { $0.0 == "llama.attention.head_count" ? ($0.0, .bool(true)) : $0.0 == "llama.context_length" ? ($0.0, .string("64")) : $0 }
        wb.addTinyGPT2Tokenizer(count: b.vocab, controlEOS: false)
        wb.addTinyLlamaTensors(b)
        let typed = Self.folder + "/typed.gguf"
        FileManager.default.createFile(atPath: typed, contents: Data(wb.encoded()))
        try refused(["generate", "-m", typed, "--prompt", "a"], exit: 1, mentions: ["head_count"])
    }

    /// The shipped image model with its metadata edited (tensors copied byte for byte).
    func editedImageModel(_ name: String, _ edit: (String, GGUFValue) -> GGUFValue) throws -> String {
        let f = try GGUFFile(path: try ModelStore.resolve("builtin:emoji"))
        var w = GGUFWriter()
        w.alignment = f.alignment
        for k in f.metadataKeys { w.add(k, edit(k, f.metadata[k]!)) }
        for t in f.tensors { w.tensors.append(.init(name: t.name, dims: t.dims, type: t.type, data: Array(f.bytes(of: t)))) }
        let path = Self.folder + "/" + name
        FileManager.default.createFile(atPath: path, contents: Data(w.encoded()))
        return path
    }

    @Test func brokenImageModelsAreRefusedAtLoad() throws {
        let dup = try editedImageModel("dup.gguf") { k, v in
            guard k.hasSuffix(".text_vocab"), var a = v.array, a.count > 2 else { return v }
            a[1] = a[0]
            return .array(a)
        }
        try refused(["generate", "-m", dup, "--prompt", "sun"], exit: 1, mentions: ["text_vocab"])
        let eps = try editedImageModel("eps.gguf") { k, v in k.hasSuffix("layer_norm_rms_epsilon") ? .float32(-1) : v }
        try refused(["generate", "-m", eps, "--prompt", "sun"], exit: 1, mentions: ["epsilon"])
        let sig = try editedImageModel("sigmas.gguf") { k, v in
            guard k.hasSuffix(".sigmas"), var a = v.array, a.count > 1 else { return v }
            a[1] = .float32(.nan)
            return .array(a)
        }
        try refused(["generate", "-m", sig, "--prompt", "sun", "--decoder", "sjd2"], exit: 1, mentions: ["sigmas"])
    }

    @Test func fileStringsAreEscapedInMessages() throws {
        let theme = Self.folder + "/bad\u{1B}[2J.toml"
        try "name = 5\n".write(toFile: theme, atomically: true, encoding: .utf8)
        let r = try refused(["tui", "--theme", theme], exit: 1, mentions: ["wants a string", "\\x1B[2J"])
        #expect(!r.stderr.contains("\u{1B}"))
        let colour = Self.folder + "/colour.toml"
        try "[colors]\nbackground = \"#+12345\"\n".write(toFile: colour, atomically: true, encoding: .utf8)
        try refused(["tui", "--theme", colour], exit: 1, mentions: ["#+12345"])
        let utf16 = Self.folder + "/utf16.toml"
        FileManager.default.createFile(atPath: utf16, contents: "name = \"x\"\n".data(using: .utf16))
        try refused(["tui", "--theme", utf16], exit: 1, mentions: ["UTF-8"])
        try refused(["generate", "-m", Self.folder + "/no\nsuch.gguf"], exit: 1, mentions: ["\\n"])
    }

    /// A model file truncated while `generate` maps it: one line and exit 1, not a SIGBUS death.
    @Test func aModelTruncatedWhileInUseIsOneLine() throws {
        let dir = Self.folder + "/sigbus-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.copyItem(atPath: try TestModels.smolLM2(), toPath: dir + "/m.gguf")
        // The shell starts the run, waits (a condition with a 60 s deadline) until its trace has grown,
        // cuts the model file to 10 MB under it and reports the run's exit status.
        let script = """
        "$0" generate -m "$1/m.gguf" --prompt "1, 2, 3, 4, 5," --max-tokens 4000 --trace "$1/t.jsonl" >"$1/out" 2>"$1/err" &
        pid=$!; i=0
        while [ $i -lt 1200 ] && kill -0 $pid 2>/dev/null; do
          f=$(ls "$1" | grep partial); if [ -n "$f" ] && [ "$(stat -c %s "$1/$f")" -gt 2000 ]; then break; fi
          sleep 0.05; i=$((i+1))
        done
        truncate -s 10000000 "$1/m.gguf"; wait $pid; echo $?
        """
        let run = try Subprocess.run(["/bin/sh", "-c", script, CLIRunner.binary, dir], timeout: 120)
        let err = (try? String(contentsOfFile: dir + "/err", encoding: .utf8)) ?? ""
        #expect(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "1", "exit \(run.stdout): \(err)")
        #expect(err.split(separator: "\n").count == 1 && err.contains("SIGBUS"), "\(err)")
    }

    @Test func modelsEscapesWhatFilesSay() throws {
        let dir = Self.folder + "/models-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var m = GGUFWriter.TinyLlama()
        m.architecture = "ll\u{1B}[2Jama\u{0}x"
        var w = GGUFWriter()
        w.addTinyLlamaHyperparameters(m)
        FileManager.default.createFile(atPath: dir + "/odd\u{1B}name.gguf", contents: Data(w.encoded()))
        let r = try CLIRunner.run(["models"], environment: ["TOKENLOOM_MODEL_DIR": dir])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!r.stdout.contains("\u{1B}") && !r.stdout.contains("\u{0}"), "\(r.stdout.debugDescription)")
        #expect(r.stdout.contains("\\x1B"))
    }

    @Test func sigintDuringGeneratePrintsWhatItHasAndCleansUp() throws {
        let dir = Self.folder + "/sigint-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let logs = Self.folder + "/sigint-logs-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        // The shell starts the run, waits (a condition with a 60 s deadline) until its partial trace has
        // grown, interrupts it and reports its exit status.
        let script = """
        "$0" generate --prompt "1, 2, 3, 4, 5," --max-tokens 4000 --trace "$1/t.jsonl" >"$2/out" 2>"$2/err" &
        pid=$!; i=0
        while [ $i -lt 1200 ] && kill -0 $pid 2>/dev/null; do
          f=$(ls "$1" | grep partial); if [ -n "$f" ] && [ "$(stat -c %s "$1/$f")" -gt 2000 ]; then break; fi
          sleep 0.05; i=$((i+1))
        done
        kill -INT $pid; wait $pid; echo $?
        """
        let run = try Subprocess.run(["/bin/sh", "-c", script, CLIRunner.binary, dir, logs], timeout: 120)
        let status = Int32(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        let out = (stdout: (try? String(contentsOfFile: logs + "/out", encoding: .utf8)) ?? "",
                   stderr: (try? String(contentsOfFile: logs + "/err", encoding: .utf8)) ?? "", status: status)
        #expect(out.status == 130, "exit \(out.status): \(out.stderr)")
        #expect(out.stdout.contains("6, 7"), "the text so far: \(out.stdout.prefix(200))")
        #expect(out.stderr.split(separator: "\n").count == 1 && out.stderr.contains("interrupted by SIGINT"))
        #expect((try FileManager.default.contentsOfDirectory(atPath: dir)).isEmpty, "partial files left")
    }
}
