// End to end in tmux (120x40): start the built `tokenloom`, step every pane, step back, open the
// help, toggle compare and the heatmap, resize (down to a too-small window and back), quit with
// `q`, and check the shell prompt is back and `stty -a` is what it was before.
import Foundation
import Testing

enum TmuxError: Error { case failed(String, Int32) }

/// Runs `argv` (found on PATH) with stdin from /dev/null and stdout to `stdout`, an empty signal
/// mask and default signal actions; returns its exit status (-1 if it could not start).
func spawnAndWait(_ argv: [String], stdout: String) -> Int32 {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    var attr = posix_spawnattr_t()
    posix_spawnattr_init(&attr)
    defer { posix_spawnattr_destroy(&attr) }
    var empty = sigset_t(), all = sigset_t()
    sigemptyset(&empty)
    sigfillset(&all)
    posix_spawnattr_setsigmask(&attr, &empty)
    posix_spawnattr_setsigdefault(&attr, &all)
    posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    var cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
    defer { for a in cargs { free(a) } }
    var pid = pid_t()
    guard posix_spawnp(&pid, argv[0], &actions, &attr, &cargs, environ) == 0 else { return -1 }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return (status & 0x7f) == 0 ? (status >> 8) & 0xff : -1
}

/// Drives one private tmux server (its own socket) running a plain shell.
final class TmuxDriver {
    let socket = "tokenloom-e2e-\(getpid())-\(UInt32.random(in: 0..<1_000_000))"
    let name = "e2e"

    /// Runs a tmux client command; returns its stdout when `capture`. Spawned with posix_spawn,
    /// an empty signal mask and default signal actions: a child that inherits the test runner's
    /// blocked signals (Foundation's Process does not reset them) gives a tmux server that never
    /// finishes starting.
    @discardableResult
    func tmux(_ args: [String], capture: Bool = false) throws -> String {
        let out = capture ? FileManager.default.temporaryDirectory.appendingPathComponent("\(socket)-\(UInt32.random(in: 0..<1_000_000)).out").path : "/dev/null"
        defer { if capture { unlink(out) } }
        let status = spawnAndWait(["tmux", "-L", socket, "-f", "/dev/null"] + args, stdout: out)
        guard status == 0 || !capture else { throw TmuxError.failed(args.first ?? "", status) }
        return capture ? ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "") : ""
    }

    func start(width: Int, height: Int, env: [String: String]) throws {
        var cmd = ["new-session", "-d", "-s", name, "-x", "\(width)", "-y", "\(height)"]
        for (k, v) in env { cmd += ["-e", "\(k)=\(v)"] }
        cmd += ["env", "PS1=READY$ ", "bash", "--norc", "--noprofile"]
        try tmux(cmd)
    }

    func send(_ keys: String...) throws { try tmux(["send-keys", "-t", name] + keys) }
    func type(_ text: String) throws { try tmux(["send-keys", "-t", name, "-l", text]); try send("Enter") }
    func screen() throws -> String { try tmux(["capture-pane", "-p", "-t", name], capture: true) }
    func resize(_ w: Int, _ h: Int) throws { try tmux(["resize-window", "-t", name, "-x", "\(w)", "-y", "\(h)"]) }
    func kill() {
        _ = try? tmux(["kill-server"])
        let dir = ProcessInfo.processInfo.environment["TMUX_TMPDIR"] ?? "/tmp"
        unlink("\(dir)/tmux-\(getuid())/\(socket)")
    }

    /// Polls the screen until `ok` holds; returns the last screen and the seconds it took.
    func wait(_ seconds: Double, _ ok: (String) -> Bool) throws -> (screen: String, after: Double, ok: Bool) {
        let t0 = Date()
        var s = ""
        while Date().timeIntervalSince(t0) < seconds {
            s = try screen()
            if ok(s) { return (s, Date().timeIntervalSince(t0), true) }
            usleep(20_000)
        }
        return (s, Date().timeIntervalSince(t0), false)
    }
}

@Suite(.serialized) struct EndToEndTests {
    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("tokenloom")
    }

    static var tmuxAvailable: Bool {
        spawnAndWait(["tmux", "-V"], stdout: "/dev/null") == 0
    }

    /// The pane titles on a screen: ["AR · NFE 5", …].
    static func titles(_ s: String) -> [String] {
        let re = try! NSRegularExpression(pattern: "[A-Za-z0-9]+ · NFE [0-9]+")
        let ns = s as NSString
        return re.matches(in: s, range: NSRange(location: 0, length: ns.length)).map { ns.substring(with: $0.range) }
    }

    @Test func explorerInTmux() throws {
        guard Self.tmuxAvailable else { Issue.record("tmux is not installed (apt-get install tmux)"); return }
        guard FileManager.default.isExecutableFile(atPath: Self.binary.path) else {
            Issue.record("\(Self.binary.path) is missing: run `swift build` first"); return
        }
        let t = TmuxDriver()
        defer { t.kill() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tokenloom-e2e-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var env = ["TERM": "xterm-256color", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"]
        for k in ["TOKENLOOM_MODEL_DIR", "XDG_CACHE_HOME", "HOME"] { if let v = ProcessInfo.processInfo.environment[k] { env[k] = v } }
        try t.start(width: 120, height: 40, env: env)
        #expect(try t.wait(10) { $0.contains("READY$") }.ok)
        try t.type("stty -a > '\(dir.path)/before.txt'")
        try t.type("'\(Self.binary.path)'")

        // The default screen: every pane at NFE 0 with the hint.
        let opened = try t.wait(120) { Self.titles($0).count >= 2 && $0.contains("q quit") }
        #expect(opened.ok, "the explorer did not open:\n\(opened.screen)")
        guard opened.ok else { return }
        let panes = Self.titles(opened.screen).count
        #expect(opened.screen.contains("? help"))
        #expect(Self.titles(opened.screen).allSatisfy { $0.hasSuffix("NFE 0") })

        for _ in 0..<5 { try t.send("n") }
        let five = try t.wait(120) { s in let ts = Self.titles(s); return ts.count == panes && ts.allSatisfy { $0.hasSuffix("NFE 5") } }
        #expect(five.ok, "not every pane reached NFE 5:\n\(five.screen)")

        try t.send("p")
        let four = try t.wait(10) { s in let ts = Self.titles(s); return ts.count == panes && ts.allSatisfy { $0.hasSuffix("NFE 4") } }
        #expect(four.ok, "p did not step back to NFE 4:\n\(four.screen)")

        // Help answers while the engine computes the next pass (key latency as seen through tmux).
        try t.send("n")
        try t.send("?")
        let help = try t.wait(10) { $0.contains("keys  (Esc closes)") }
        #expect(help.ok, "no help overlay:\n\(help.screen)")
        print("e2e: help visible \(Int(help.after * 1000)) ms after '?' (sent while a pass was computing; includes tmux polling)")
        #expect(help.screen.contains("play / pause"))
        try t.send("Escape")
        #expect(try t.wait(10) { !$0.contains("keys  (Esc closes)") }.ok)

        try t.send("c")
        let single = try t.wait(10) { Self.titles($0).count == 1 }
        #expect(single.ok, "compare off should show one pane:\n\(single.screen)")
        try t.send("c")
        #expect(try t.wait(10) { Self.titles($0).count == panes }.ok)

        try t.send("h")
        let heat = try t.wait(10) { $0.contains("heatmap") }
        #expect(heat.ok, "no heatmap indication:\n\(heat.screen)")

        // Resize: smaller, too small, and back.
        try t.resize(90, 30)
        let smaller = try t.wait(10) { s in
            let lines = s.split(separator: "\n", omittingEmptySubsequences: false)
            return Self.titles(s).count == panes && lines.contains { $0.contains("q quit") } && lines.allSatisfy { $0.count <= 90 }
        }
        #expect(smaller.ok, "no relayout at 90x30:\n\(smaller.screen)")
        try t.resize(20, 6)
        let tiny = try t.wait(10) { $0.contains("tokenloom needs") }
        #expect(tiny.ok, "no too-small message at 20x6:\n\(tiny.screen)")
        try t.resize(120, 40)
        #expect(try t.wait(10) { Self.titles($0).count == panes }.ok)

        // A storm of resizes while playing: still alive, laid out for the final size.
        try t.send("Space")
        for i in 0..<30 { try t.resize(60 + (i * 7) % 80, 16 + (i * 5) % 30) }
        try t.resize(120, 40)
        try t.send("Space")
        let calm = try t.wait(15) { s in
            let lines = s.split(separator: "\n", omittingEmptySubsequences: false)
            return Self.titles(s).count == panes && lines.first?.contains("tokenloom") == true && lines.contains { $0.contains("q quit") }
        }
        #expect(calm.ok, "layout broken after a resize storm:\n\(calm.screen)")

        try t.send("q")
        let back = try t.wait(15) { $0.contains("READY$") && !$0.contains("q quit") }
        #expect(back.ok, "no shell prompt after q:\n\(back.screen)")
        try t.type("stty -a > '\(dir.path)/after.txt'; echo STTY-DONE")
        #expect(try t.wait(10) { $0.contains("STTY-DONE\n") || $0.hasSuffix("STTY-DONE") || $0.components(separatedBy: "STTY-DONE").count > 2 }.ok)
        usleep(200_000)
        let before = try String(contentsOf: dir.appendingPathComponent("before.txt"), encoding: .utf8)
        let after = try String(contentsOf: dir.appendingPathComponent("after.txt"), encoding: .utf8)
        #expect(!before.isEmpty)
        #expect(before == after, "stty -a differs after quitting")
    }

    @Test func signalsRestoreTheTerminal() throws {
        guard Self.tmuxAvailable, FileManager.default.isExecutableFile(atPath: Self.binary.path) else {
            Issue.record("needs tmux and the built tokenloom"); return
        }
        for (signal, how) in [("INT", "C-c"), ("TERM", "kill -TERM"), ("HUP", "kill -HUP")] {
            let t = TmuxDriver()
            defer { t.kill() }
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tokenloom-sig-\(getpid())-\(signal)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            var env = ["TERM": "xterm-256color", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"]
            for k in ["TOKENLOOM_MODEL_DIR", "XDG_CACHE_HOME", "HOME"] { if let v = ProcessInfo.processInfo.environment[k] { env[k] = v } }
            try t.start(width: 120, height: 40, env: env)
            #expect(try t.wait(10) { $0.contains("READY$") }.ok)
            try t.type("stty -a > '\(dir.path)/before.txt'")
            // Play, so a pass is running when the signal arrives.
            try t.type("bash -c 'echo $$ > \(dir.path)/pid; exec \(Self.binary.path)'")
            #expect(try t.wait(120) { Self.titles($0).count >= 2 }.ok)
            try t.send("Space")
            usleep(500_000)
            if how == "C-c" {
                try t.send("C-c")
            } else {
                let pid = try String(contentsOf: dir.appendingPathComponent("pid"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
                #expect(spawnAndWait(["kill", "-\(signal)", pid], stdout: "/dev/null") == 0)
            }
            let back = try t.wait(15) { $0.contains("READY$") && !$0.contains("q quit") }
            #expect(back.ok, "SIG\(signal): no shell prompt:\n\(back.screen)")
            try t.type("stty -a > '\(dir.path)/after.txt'; echo SIG-DONE")
            #expect(try t.wait(10) { $0.components(separatedBy: "SIG-DONE").count > 2 }.ok)
            usleep(200_000)
            let before = try String(contentsOf: dir.appendingPathComponent("before.txt"), encoding: .utf8)
            let after = try String(contentsOf: dir.appendingPathComponent("after.txt"), encoding: .utf8)
            #expect(before == after, "SIG\(signal): stty -a differs after the signal")
        }
    }
}
