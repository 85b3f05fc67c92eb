// Signals and the terminal (issue 7), in a private tmux server at 120x40: SIGINT, SIGTERM and SIGHUP
// while the explorer plays end it with `stty -a` unchanged; a storm of resizes while playing does not
// crash it; started in a 20x6 terminal it shows a message instead of a layout.
import Foundation
import Testing
import TokenloomTestSupport

/// One private tmux server (own socket) running a plain shell with a recognisable prompt.
final class TerminalDriver {
    let socket = "tokenloom-rel-\(getpid())-\(UInt32.random(in: 0..<1_000_000))"
    let name = "rel"

    /// Runs a tmux client with posix_spawn and waitpid (Foundation's Process did not reap these
    /// clients reliably here); `capture` sends its stdout to a temporary file and returns it.
    @discardableResult
    func tmux(_ args: [String], capture: Bool = false) throws -> String {
        let argv = ["tmux", "-L", socket] + args
        let outPath = FileManager.default.temporaryDirectory.appendingPathComponent("\(socket)-\(UInt32.random(in: 0..<1_000_000)).out").path
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, capture ? outPath : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { for a in cArgs { free(a) } }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, "tmux", &actions, nil, cArgs, environ)
        guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EINVAL) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard capture else { return "" }
        defer { unlink(outPath) }
        return (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
    }

    func start(width: Int, height: Int) throws {
        var cmd = ["new-session", "-d", "-s", name, "-x", "\(width)", "-y", "\(height)"]
        var env = ["TERM": "xterm-256color", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"]
        for k in ["TOKENLOOM_MODEL_DIR", "XDG_CACHE_HOME", "HOME"] { if let v = ProcessInfo.processInfo.environment[k] { env[k] = v } }
        for (k, v) in env { cmd += ["-e", "\(k)=\(v)"] }
        cmd += ["env", "PS1=READY$ ", "bash", "--norc", "--noprofile"]
        try tmux(cmd)
    }

    func send(_ keys: String...) throws { try tmux(["send-keys", "-t", name] + keys) }
    func type(_ text: String) throws { try tmux(["send-keys", "-t", name, "-l", text]); try send("Enter") }
    func screen() throws -> String { try tmux(["capture-pane", "-p", "-t", name], capture: true) }
    func resize(_ w: Int, _ h: Int) throws { try tmux(["resize-window", "-t", name, "-x", "\(w)", "-y", "\(h)"]) }
    func kill() { _ = try? tmux(["kill-server"]) }

    func wait(_ seconds: Double, _ ok: (String) -> Bool) throws -> (screen: String, ok: Bool) {
        let t0 = Date()
        var s = ""
        while Date().timeIntervalSince(t0) < seconds {
            s = try screen()
            if ok(s) { return (s, true) }
            usleep(30_000)
        }
        return (s, false)
    }

    static var available: Bool {
        (try? TerminalDriver().tmux(["-V"], capture: true).hasPrefix("tmux")) ?? false
    }
}

@Suite(.serialized) struct TerminalSignalTests {
    /// Pane titles on a screen ("AR · NFE 5").
    static func titles(_ s: String) -> [String] {
        let re = try! NSRegularExpression(pattern: "[A-Za-z0-9]+ · NFE [0-9]+")
        let ns = s as NSString
        return re.matches(in: s, range: NSRange(location: 0, length: ns.length)).map { ns.substring(with: $0.range) }
    }

    /// A scratch folder with a long recorded trace (so playback runs for a while) made by the tiny model.
    static func replayTrace() throws -> String {
        let dir = BadModelFiles.folder("term")
        let model = BadModelFiles.write(BadModelFiles.tiny().encoded(), dir + "/tiny.gguf")
        let trace = dir + "/long.jsonl"
        let r = try CLIRunner.run(["generate", "--model", model, "--prompt", "ab", "--max-tokens", "60",
                                   "--decoder", "ar", "--trace", trace, "--json"])
        #expect(r.status == 0, "generate: \(r.stderr)")
        return trace
    }

    func ready() throws -> Bool {
        guard TerminalDriver.available else { Issue.record("tmux is not installed (apt-get install tmux)"); return false }
        guard FileManager.default.isExecutableFile(atPath: CLIRunner.binary) else {
            Issue.record("\(CLIRunner.binary) is missing: build first"); return false
        }
        return true
    }

    /// Starts `command` (through a shell that records its pid) in a 120x40 tmux, after saving `stty -a`.
    func open(_ t: TerminalDriver, _ dir: String, _ command: String) throws {
        try t.start(width: 120, height: 40)
        #expect(try t.wait(10) { $0.contains("READY$") }.ok)
        try t.type("stty -a > '\(dir)/before.txt'")
        try t.type("bash -c 'echo $$ > \(dir)/pid; exec \(command)'")
    }

    /// After the explorer ended: the prompt is back and `stty -a` is what it was.
    func expectRestored(_ t: TerminalDriver, _ dir: String, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let back = try t.wait(15) { $0.contains("READY$") && !$0.contains("q quit") }
        #expect(back.ok, "\(what): no shell prompt:\n\(back.screen)", sourceLocation: sourceLocation)
        try t.type("stty -a > '\(dir)/after.tmp'; mv '\(dir)/after.tmp' '\(dir)/after.txt'")
        let t0 = Date()
        while !FileManager.default.fileExists(atPath: dir + "/after.txt") && Date().timeIntervalSince(t0) < 10 { usleep(30_000) }
        let before = (try? String(contentsOfFile: dir + "/before.txt", encoding: .utf8)) ?? ""
        let after = (try? String(contentsOfFile: dir + "/after.txt", encoding: .utf8)) ?? "(none)"
        #expect(!before.isEmpty, sourceLocation: sourceLocation)
        #expect(before == after, "\(what): stty -a differs", sourceLocation: sourceLocation)
    }

    @Test func signalsWhilePlayingRestoreTheTerminal() throws {
        guard try ready() else { return }
        let trace = try Self.replayTrace()
        for signal in ["INT", "TERM", "HUP"] {
            let t = TerminalDriver()
            defer { t.kill() }
            let dir = BadModelFiles.folder("sig-\(signal)")
            try open(t, dir, "\(CLIRunner.binary) replay \(trace)")
            let up = try t.wait(60) { Self.titles($0).count >= 1 }
            #expect(up.ok, "SIG\(signal): the explorer did not open:\n\(up.screen)")
            try t.send("Space")   // play
            usleep(400_000)
            if signal == "INT" {
                try t.send("C-c")
            } else {
                let pid = try String(contentsOfFile: dir + "/pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
                #expect(Foundation.kill(pid_t(pid) ?? -1, signal == "TERM" ? SIGTERM : SIGHUP) == 0)
            }
            try expectRestored(t, dir, "SIG\(signal)")
        }
    }

    @Test func resizeStormWhilePlayingDoesNotCrash() throws {
        guard try ready() else { return }
        let trace = try Self.replayTrace()
        let t = TerminalDriver()
        defer { t.kill() }
        let dir = BadModelFiles.folder("storm")
        try open(t, dir, "\(CLIRunner.binary) replay \(trace)")
        #expect(try t.wait(60) { Self.titles($0).count >= 1 }.ok)
        try t.send("Space")
        var rng = SystemRandomNumberGenerator()
        for i in 0..<60 {
            let w = i % 10 == 9 ? 20 : Int.random(in: 30...160, using: &rng)
            let h = i % 10 == 9 ? 6 : Int.random(in: 8...50, using: &rng)
            try t.resize(w, h)
            usleep(15_000)
        }
        try t.resize(120, 40)
        // Still alive and drawing a full layout after the storm.
        let after = try t.wait(15) { s in
            Self.titles(s).count >= 1 && s.contains("q quit") && s.split(separator: "\n").allSatisfy { $0.count <= 120 }
        }
        #expect(after.ok, "no clean layout after the resize storm:\n\(after.screen)")
        try t.send("q")
        try expectRestored(t, dir, "resize storm")
    }

    @Test func tinyTerminalShowsAMessage() throws {
        guard try ready() else { return }
        let trace = try Self.replayTrace()
        let t = TerminalDriver()
        defer { t.kill() }
        let dir = BadModelFiles.folder("tiny-term")
        try t.start(width: 20, height: 6)
        #expect(try t.wait(10) { $0.contains("READY$") }.ok)
        try t.type("stty -a > '\(dir)/before.txt'")
        try t.type("\(CLIRunner.binary) replay \(trace)")
        let small = try t.wait(30) { $0.contains("tokenloom needs") }
        #expect(small.ok, "no too-small message at 20x6:\n\(small.screen)")
        #expect(Self.titles(small.screen).isEmpty, "a layout was drawn at 20x6:\n\(small.screen)")
        try t.send("q")
        try expectRestored(t, dir, "20x6")
    }
}
